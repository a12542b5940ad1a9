// Nulls count as absent in the API (as in Kubernetes). Validation looks at objects without
// them; most objects have none, and a copy per check was a large part of a write's cost.

import { dropNulls } from './schema-walk.js';

/**
 * `v` without nulls (and without undefined fields), as dropNulls, but `v` itself when it has
 * none: no copy for the usual object, and a stored part keeps its identity (see isValid).
 */
export function withoutNulls<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = x === null ? undefined : withoutNulls(x);
      if (out === undefined && (x === null || y !== x)) out = v.slice(0, i);
      if (out !== undefined && x !== null) out.push(y);
    }
    return (out ?? v) as T;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return dropNulls(v); // not plain data: as dropNulls makes it
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const x = (v as Record<string, unknown>)[keys[i]!];
    const y = x === null || x === undefined ? undefined : withoutNulls(x);
    if (out === undefined && (y === undefined || y !== x)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = (v as Record<string, unknown>)[keys[j]!];
    }
    if (out !== undefined && y !== undefined) out[keys[i]!] = y;
  }
  return (out ?? v) as T;
}
