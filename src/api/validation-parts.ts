// Which objects are top-level parts (metadata, spec, status, ...) of stored values: deep-frozen
// by the store and never to change again. The store marks them (src/store/change.ts) and shares
// them between writes instead of copying them again; validation remembers that it checked one
// (validation.ts). Here, in the API leaf, because both sides need it.

const storedParts = new WeakSet<object>();

/** Called by the store for each top-level object part of a value it has deep-frozen. */
export function markStoredPart(part: object): void {
  storedParts.add(part);
}

/** Whether `v` is a top-level part of a stored value: deep-frozen, never to change again. */
export function isStoredPart(v: unknown): boolean {
  return typeof v === 'object' && v !== null && storedParts.has(v);
}
