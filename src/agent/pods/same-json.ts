// Equality of two values as JSON, without building either string (the pod manager compares
// every pod's status report with the last one sent, on every pass): sameJson(a, b) holds when
// JSON.parse(JSON.stringify(a)) and JSON.parse(JSON.stringify(b)) are deeply equal, i.e. when the
// two texts differ at most in the order of object keys (which no JSON reader gives meaning to).

/** Left out as an object property (undefined, a function or a symbol); null in an array. */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** Plain data: stringify writes it member by member (no toJSON, not a Date or a boxed value). */
function plain(o: object): boolean {
  const proto: unknown = Object.getPrototypeOf(o);
  return (proto === Object.prototype || proto === null || Array.isArray(o)) && typeof (o as { toJSON?: unknown }).toJSON !== 'function';
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (omitted(a) || omitted(b)) return omitted(a) && omitted(b);
  // Non-finite numbers are written as null.
  if (typeof a === 'number' && !Number.isFinite(a)) a = null;
  if (typeof b === 'number' && !Number.isFinite(b)) b = null;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || !plain(a) || !plain(b)) {
    // Different primitives, or something stringify turns into another value (a Date, toJSON).
    return (typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null) ? JSON.stringify(a) === JSON.stringify(b) : false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x: unknown = a[i], y: unknown = b[i];
      if (!sameJson(omitted(x) ? null : x, omitted(y) ? null : y)) return false;
    }
    return true;
  }
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  let members = 0;
  for (const k in ra) {
    const x = ra[k];
    if (omitted(x)) continue;
    members++;
    const y = rb[k]; // a key b lacks reads undefined, or an inherited method: omitted either way
    if (omitted(y) || !sameJson(x, y)) return false;
  }
  for (const k in rb) if (!omitted(rb[k])) members--;
  return members === 0;
}
