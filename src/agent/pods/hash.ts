// Spec hashes: how the agent knows, after a reconnect or its own restart, that what runs is
// what is wanted, without comparing objects. Kept as labels on the pod's sandbox.
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../../api/schemas.js';

/** JSON with object keys sorted, so equal specs hash equally whatever their key order. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function short(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Label key on the sandbox holding the hash a container was started from. */
export function hashLabel(containerName: string, init: boolean): string {
  return `dev.bramble.hash.${init ? 'init.' : ''}${containerName}`;
}

/** Hash of one container's spec plus the pod fields every container depends on (volumes, hostname). */
export function containerHash(c: Container, pod: Pod): string {
  return short(stableStringify({ c, volumes: pod.spec.volumes, hostname: pod.spec.hostname, subdomain: pod.spec.subdomain }));
}

/**
 * The hash labels of a pod spec, computed once per spec object: the pod manager asks on every
 * pass, and the agent never mutates a pod it was given (a changed pod arrives as a new object,
 * decoded from the master's message or the state file), so a spec object's hashes never change.
 */
const labelCache = new WeakMap<Pod['spec'], readonly (readonly [string, string])[]>();

function hashEntries(pod: Pod): readonly (readonly [string, string])[] {
  let entries = labelCache.get(pod.spec);
  if (!entries) {
    const labels: Record<string, string> = {};
    for (const c of pod.spec.initContainers ?? []) labels[hashLabel(c.name, true)] = containerHash(c, pod);
    for (const c of pod.spec.containers) labels[hashLabel(c.name, false)] = containerHash(c, pod);
    entries = Object.entries(labels);
    labelCache.set(pod.spec, entries);
  }
  return entries;
}

/** The labels a new sandbox carries: one hash per container of the pod. */
export function sandboxHashLabels(pod: Pod): Record<string, string> {
  return Object.fromEntries(hashEntries(pod));
}

/** Does the running sandbox still match the pod's spec? (Port changes show up as container spec changes.) */
export function sandboxMatches(labels: Record<string, string>, pod: Pod): boolean {
  for (const [k, v] of hashEntries(pod)) if (labels[k] !== v) return false;
  return true;
}
