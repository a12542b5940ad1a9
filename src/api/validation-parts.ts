// Which objects are top-level parts (metadata, spec, status, ...) of stored values: deep-frozen
// by the store and never to change again. The store marks them (src/store/change.ts) and shares
// them between writes instead of copying them again; validation remembers that it checked one
// (validation.ts). Here, in the API leaf, because both sides need it.

// A non-enumerable symbol property set before the part is frozen: invisible to JSON, to
// Object.keys and to deep-equality checks, and cheaper to set and test than a WeakSet entry.
const storedPart: unique symbol = Symbol('bramble.storedPart');

/** Called by the store for each top-level object part of a value, just before deep-freezing it. */
export function markStoredPart(part: object): void {
  if (!Object.isFrozen(part)) Object.defineProperty(part, storedPart, { value: true });
}

/** Whether `v` is a top-level part of a stored value: deep-frozen, never to change again. */
export function isStoredPart(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { [storedPart]?: true })[storedPart] === true;
}
