// One write, checked and stamped with its revision. Both stores build changes the same way,
// so their preconditions and events cannot drift apart.

import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError } from './errors.js';
import type { DeleteOptions, Entry, StoredValue, UpdateOptions, WatchEvent } from './store.js';
import { labelsOf } from './table.js';
import { isStoredPart, markStoredPart } from '../api/validation-parts.js';

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
  /**
   * The value's JSON text, made with the copy (see snapshot), for the LevelStore to write. It
   * is dropped once written, so changes kept for watch catch-up do not hold it.
   */
  json?: string;
}

/** Called only once preconditions hold, so a rejected write never consumes a revision. */
export type NextRevision = () => number;

export function planCreate(key: string, value: StoredValue, current: Entry | undefined, next: NextRevision): Change {
  if (current) throw new StoreAlreadyExistsError(key);
  const rev = next();
  const copy = snapshot(value);
  return { event: { type: 'ADDED', entry: { key, value: copy.value, createRevision: rev, modRevision: rev } }, volatile: false, json: copy.json };
}

export function planUpdate(key: string, value: StoredValue, opts: UpdateOptions, current: Entry | undefined, next: NextRevision): Change {
  if (!current) throw new StoreNotFoundError(key);
  checkExpected(key, opts.expectedRevision, current);
  const copy = snapshot(value);
  const entry = { key, value: copy.value, createRevision: current.createRevision, modRevision: next() };
  return { event: { type: 'MODIFIED', entry }, prev: { labels: labelsOf(current.value) }, volatile: opts.volatile === true, json: copy.json };
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Stored values are shared by readers and watchers, so the store keeps its own frozen copy:
 * a caller mutating what it passed in (or got back) cannot change stored state behind the
 * store's back; it gets a TypeError instead and must clone first.
 *
 * Returns the copy and its JSON text (what the LevelStore writes). The copy is made through
 * JSON (plain data only, undefined dropped), part by part: a top-level part the store already
 * owns (isStoredPart) is shared, not copied again.
 */
export function snapshot<T>(value: T): { value: T; json: string } {
  if (!isPlainObject(value) || typeof value.toJSON === 'function') {
    const json = JSON.stringify(value);
    return { value: deepFreeze(JSON.parse(json) as T), json };
  }
  const copy: Record<string, unknown> = {};
  let json = '';
  for (const k of Object.keys(value)) {
    const v = value[k];
    const text = JSON.stringify(v);
    if (text === undefined) continue; // as JSON.stringify does: undefined and functions are left out
    json += `${json === '' ? '{' : ','}${JSON.stringify(k)}:${text}`;
    if (isStoredPart(v)) {
      copy[k] = v;
      continue;
    }
    const part = JSON.parse(text) as unknown;
    if (typeof part === 'object' && part !== null) {
      // metadata is never passed back unchanged (the API server sets resourceVersion on what it
      // serves), so marking it would only cost.
      if (k !== 'metadata') markStoredPart(part);
      deepFreeze(part);
    }
    copy[k] = part;
  }
  return { value: Object.freeze(copy) as T, json: json === '' ? '{}' : `${json}}` };
}

/** A value read back from disk: deep-frozen, its parts the store's own (as snapshot makes them). */
export function adopt<T>(value: T): T {
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'object' && v !== null) {
        if (k !== 'metadata') markStoredPart(v);
        deepFreeze(v);
      }
    }
  }
  return deepFreeze(value);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
