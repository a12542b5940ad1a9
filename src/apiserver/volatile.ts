// Which status writes are "volatile": frequent, and safe to keep only in memory.
// A Node status that differs from the stored one only in heartbeat times (and live usage,
// which agents report every few seconds) is not worth an SD-card write; any other change
// (a condition flipping, capacity, addresses) is persisted.
import type { KObject } from '../api/types.js';

const volatileConditionFields = new Set(['lastHeartbeatTime', 'lastProbeTime']);
/** Status fields that carry live readings rather than state. */
const volatileStatusFields = new Set(['usage']);

function stripVolatile(status: unknown): unknown {
  if (typeof status !== 'object' || status === null) return status;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status as Record<string, unknown>)) {
    if (volatileStatusFields.has(k)) continue;
    if (k === 'conditions' && Array.isArray(v)) {
      out[k] = v.map((c: unknown) => (typeof c === 'object' && c !== null
        ? Object.fromEntries(Object.entries(c as Record<string, unknown>).filter(([ck]) => !volatileConditionFields.has(ck)))
        : c));
    } else {
      out[k] = v;
    }
  }
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** True when next differs from prev only in volatile status fields of a Node. */
export function isVolatileStatusChange(kind: string, prev: KObject, next: KObject): boolean {
  if (kind !== 'Node') return false;
  return deepEqual(stripVolatile(prev.status), stripVolatile(next.status));
}
