// One write, checked and stamped with its revision. Both stores build changes the same way,
// so their preconditions and events cannot drift apart.

import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError } from './errors.js';
import type { DeleteOptions, Entry, StoredValue, UpdateOptions, WatchEvent } from './store.js';
import { labelsOf } from './table.js';

export type Labels = Record<string, string>;

export interface Change {
  event: WatchEvent;
  /**
   * The labels before the write, when known, so label-filtered watches can see an object
   * enter or leave their selection.
   */
  prev?: { labels?: Labels };
  /** Applied in memory only (UpdateOptions.volatile). */
  volatile: boolean;
}

/** Called only once preconditions hold, so a rejected write never consumes a revision. */
export type NextRevision = () => number;

export function planCreate(key: string, value: StoredValue, current: Entry | undefined, next: NextRevision): Change {
  if (current) throw new StoreAlreadyExistsError(key);
  const rev = next();
  return { event: { type: 'ADDED', entry: { key, value: snapshot(value), createRevision: rev, modRevision: rev } }, volatile: false };
}

export function planUpdate(key: string, value: StoredValue, opts: UpdateOptions, current: Entry | undefined, next: NextRevision): Change {
  if (!current) throw new StoreNotFoundError(key);
  checkExpected(key, opts.expectedRevision, current);
  const entry = { key, value: snapshot(value), createRevision: current.createRevision, modRevision: next() };
  return { event: { type: 'MODIFIED', entry }, prev: { labels: labelsOf(current.value) }, volatile: opts.volatile === true };
}

export function planDelete(key: string, opts: DeleteOptions, current: Entry | undefined, next: NextRevision): Change {
  if (!current) throw new StoreNotFoundError(key);
  checkExpected(key, opts.expectedRevision, current);
  const entry = { key, value: current.value, createRevision: current.createRevision, modRevision: next() };
  return { event: { type: 'DELETED', entry }, prev: { labels: labelsOf(current.value) }, volatile: false };
}

function checkExpected(key: string, expected: number | undefined, current: Entry): void {
  if (expected !== undefined && expected !== current.modRevision) throw new StoreConflictError(key, expected, current.modRevision);
}

/**
 * Stored values are shared by readers and watchers, so the store keeps its own frozen copy:
 * a caller mutating what it passed in (or got back) cannot change stored state behind the
 * store's back; it gets a TypeError instead and must clone first.
 */
export function snapshot<T>(value: T): T {
  // Through JSON rather than structuredClone: faster for plain objects, and the text is
  // what the LevelStore writes, so it is kept (see jsonOf) instead of made again.
  const json = JSON.stringify(value);
  const copy = deepFreeze(JSON.parse(json) as T);
  if (typeof copy === 'object' && copy !== null) jsonCache.set(copy, json);
  return copy;
}

const jsonCache = new WeakMap<object, string>();

/** The JSON text of a stored value (cached for values made by snapshot). */
export function jsonOf(value: unknown): string {
  return (typeof value === 'object' && value !== null ? jsonCache.get(value) : undefined) ?? JSON.stringify(value);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
