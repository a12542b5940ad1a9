// PATCH bodies: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { StatusError } from '../api/status.js';

export type PatchType = 'merge' | 'json';

export const patchContentTypes: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out = new Map(Object.entries(isPlainObject(target) ? target : {}));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, mergePatch(out.get(k), v));
  }
  return Object.fromEntries(out);
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new StatusError('BadRequest', 'a JSON patch must be an array of operations');
  const doc = structuredClone(target);
  try {
    return jsonpatch.applyPatch(doc, ops as Operation[], true, true, true).newDocument;
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number; operation?: { op?: string; path?: string } };
    const where = e.index !== undefined ? ` (operation ${e.index}${e.operation?.path ? ` at ${e.operation.path}` : ''})` : '';
    const first = (e.message ?? String(err)).split('\n')[0];
    if (e.operation?.op === 'test') throw new StatusError('Invalid', `the JSON patch test failed${where}`);
    throw new StatusError('BadRequest', `invalid JSON patch${where}: ${first}`);
  }
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  if (type === 'merge') {
    if (!isPlainObject(patch)) throw new StatusError('BadRequest', 'a merge patch must be a JSON object');
    return mergePatch(target, patch);
  }
  return jsonPatch(target, patch);
}
