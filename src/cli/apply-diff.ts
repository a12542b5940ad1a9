// Decides what `apply` does to an object that already exists, without I/O.
//
// Like kubectl's client-side apply, the manifest last applied is kept in an annotation. The live object is
// "unchanged" when it still holds everything the manifest says (server defaults and status may add more) and
// the manifest equals the last one applied (so a field removed from the manifest counts as a change).
import type { KObject } from '../api/types.js';

export const lastAppliedAnnotation = 'bramble.dev/last-applied-configuration';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every field of `want` is in `have` with the same value; arrays must match element by element. */
export function isSubset(want: unknown, have: unknown): boolean {
  if (isPlain(want)) return isPlain(have) && Object.entries(want).every(([k, v]) => isSubset(v, have[k]));
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((v, i) => isSubset(v, have[i]));
  return want === have;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return isSubset(a, b) && isSubset(b, a);
}

function withoutRecord(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k !== lastAppliedAnnotation));
}

/** The manifest as sent and as recorded: without status (the server owns it) and without the record itself. */
export function desiredOf(manifest: KObject): KObject {
  const { status: _status, ...rest } = manifest;
  const annotations = withoutRecord(manifest.metadata.annotations);
  const metadata: KObject['metadata'] = { ...manifest.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return { ...rest, metadata } as KObject;
}

function lastApplied(live: KObject): unknown {
  const text = live.metadata.annotations?.[lastAppliedAnnotation];
  if (text === undefined) return undefined;
  try { return JSON.parse(text) as unknown; } catch { return undefined; }
}

/** The parts of an object `apply` manages: everything but status and server-set metadata. */
function managed(obj: KObject): Plain {
  const { status: _status, metadata, ...rest } = obj;
  const annotations = withoutRecord(metadata.annotations);
  return { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels ?? {}, annotations } };
}

export function applyDecision(manifest: KObject, live: KObject): 'unchanged' | 'configured' {
  const desired = desiredOf(manifest);
  const want = managed(desired);
  // Labels and annotations the manifest does not mention are someone else's: compare only those it names.
  const wantMeta = want.metadata as Plain;
  if (!desired.metadata.labels) delete wantMeta.labels;
  if (!desired.metadata.annotations) delete wantMeta.annotations;
  if (!isSubset(want, managed(live))) return 'configured';
  const last = lastApplied(live);
  return last === undefined || deepEqual(last, desired) ? 'unchanged' : 'configured';
}

/** Overlays `desired` on `live`; keys the last applied manifest had and `desired` dropped are removed. Arrays are replaced. */
function merge(live: unknown, desired: unknown, last: unknown): unknown {
  if (!isPlain(desired) || !isPlain(live)) return desired;
  const dropped = new Set(isPlain(last) ? Object.keys(last).filter((k) => !(k in desired)) : []);
  const out: Plain = Object.fromEntries(Object.entries(live).filter(([k]) => !dropped.has(k)));
  for (const [k, v] of Object.entries(desired)) out[k] = merge(live[k], v, isPlain(last) ? last[k] : undefined);
  return out;
}

/** The object to PUT: the live one updated with the manifest, conditional on the live resourceVersion. */
export function updatedObject(manifest: KObject, live: KObject): KObject {
  const desired = desiredOf(manifest);
  const merged = merge(live, desired, lastApplied(live)) as KObject;
  merged.metadata = {
    ...merged.metadata,
    resourceVersion: live.metadata.resourceVersion,
    annotations: { ...(merged.metadata.annotations ?? {}), [lastAppliedAnnotation]: JSON.stringify(desired) },
  };
  return merged;
}

/** The object to POST: the manifest, with the record of what was applied. */
export function createdObject(manifest: KObject): KObject {
  const desired = desiredOf(manifest);
  return { ...desired, metadata: { ...desired.metadata, annotations: { ...(desired.metadata.annotations ?? {}), [lastAppliedAnnotation]: JSON.stringify(desired) } } };
}
