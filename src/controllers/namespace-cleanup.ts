// What emptying a terminating namespace takes, as a pure function of what is still in it.
import { resourceTypes, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';

export { namespaceFinalizer } from '../api/kinds/node.js';

/**
 * Deletion order: owners before what they own (a Deployment before its ReplicaSets before
 * their Pods, so no controller replaces what was just deleted), then what pods use, and
 * Events last, so the story of the deletion stays readable until the namespace is gone.
 * Kinds not listed (added later) go just before Events.
 */
const order = ['Deployment', 'DaemonSet', 'ReplicaSet', 'Pod', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount'];

function rank(kind: string): number {
  if (kind === 'Event') return order.length + 1;
  const i = order.indexOf(kind);
  return i < 0 ? order.length : i;
}

/** The namespaced kinds, in deletion order. */
export const namespacedTypes: readonly ResourceType[] = resourceTypes.filter((r) => r.namespaced).sort((a, b) => rank(a.kind) - rank(b.kind));

export interface NamespaceContents {
  rt: ResourceType;
  items: readonly KObject[];
}

export type CleanupPlan =
  /** Delete these, in this order. */
  | { action: 'delete'; objects: { rt: ResourceType; name: string }[] }
  /** Only objects already being deleted remain (pods waiting for their node, finalizers): look again later. */
  | { action: 'wait'; remaining: number }
  /** Nothing left: remove the namespace's finalizer. */
  | { action: 'finalize' };

export function planCleanup(contents: readonly NamespaceContents[]): CleanupPlan {
  const sorted = [...contents].sort((a, b) => rank(a.rt.kind) - rank(b.rt.kind));
  const objects: { rt: ResourceType; name: string }[] = [];
  let remaining = 0;
  for (const { rt, items } of sorted) {
    for (const obj of items) {
      remaining++;
      if (obj.metadata.deletionTimestamp === undefined) objects.push({ rt, name: obj.metadata.name ?? '' });
    }
  }
  if (objects.length > 0) return { action: 'delete', objects };
  return remaining > 0 ? { action: 'wait', remaining } : { action: 'finalize' };
}

interface NamespaceShape {
  spec?: { finalizers?: string[] };
  status?: { phase?: string };
}

export function isTerminating(ns: KObject): boolean {
  return ns.metadata.deletionTimestamp !== undefined || (ns as NamespaceShape).status?.phase === 'Terminating';
}

export function specFinalizers(ns: KObject): string[] {
  return (ns as NamespaceShape).spec?.finalizers ?? [];
}
