// Cheap "did it change" checks for event handlers, which run for every object event (thousands
// of heartbeats a minute): shared parts compared by reference first, small maps key by key.

/** Two label (or annotation) maps with the same keys and values; absent equals empty. */
export function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
}

/**
 * Two values equal as JSON. The store shares an unchanged top-level part (a spec) between an
 * object's versions, so a status write compares by reference and never serializes.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
