// LevelDB layout of the LevelStore. Three key spaces, one letter each so ranges are cheap:
//   o/<key>      → ObjectRecord   the current durable state of every object
//   l/<revision> → LogRecord      the change log watches resume from (zero-padded: key order = revision order)
//   m/<name>     → number         metadata: rev, compacted, reserved

import type { Change, Labels } from './change.js';
import type { StoredValue, WatchEventType } from './store.js';

export const META_REV = 'm/rev';
export const META_COMPACTED = 'm/compacted';
/** Present while volatile changes may exist that are not on disk; above every revision handed out for one. */
export const META_RESERVED = 'm/reserved';

// '0' sorts right after '/', so [x/, x0) is exactly the x/ key space.
export const OBJECT_RANGE = { gte: 'o/', lt: 'o0' } as const;
export const LOG_RANGE = { gte: 'l/', lt: 'l0' } as const;

const REV_DIGITS = 16;

export function objectKey(key: string): string {
  return `o/${key}`;
}

export function keyOfObject(dbKey: string): string {
  return dbKey.slice(2);
}

export function logKey(revision: number): string {
  return `l/${String(revision).padStart(REV_DIGITS, '0')}`;
}

export function revisionOfLog(dbKey: string): number {
  return Number(dbKey.slice(2));
}

export interface ObjectRecord {
  value: StoredValue;
  createRevision: number;
  modRevision: number;
}

export interface LogRecord extends ObjectRecord {
  type: WatchEventType;
  key: string;
  /** Previous labels, for MODIFIED (see Change.prev). */
  prev?: { labels?: Labels };
}

export function objectRecord(change: Change): ObjectRecord {
  const { value, createRevision, modRevision } = change.event.entry;
  return { value, createRevision, modRevision };
}

export function logRecord(change: Change): LogRecord {
  const { type, entry } = change.event;
  const rec: LogRecord = { type, key: entry.key, ...objectRecord(change) };
  if (change.prev) rec.prev = change.prev;
  return rec;
}

export function changeOfLog(rec: LogRecord): Change {
  const { type, key, value, createRevision, modRevision } = rec;
  const change: Change = { event: { type, entry: { key, value, createRevision, modRevision } }, volatile: false };
  if (rec.prev) change.prev = rec.prev;
  return change;
}

// The same records as JSON text, written with utf8 encoding: the value's text is made once
// per write, with the store's copy (Change.json), and shared by the object record and the log
// record.
function valueJson(change: Change): string {
  return change.json ?? JSON.stringify(change.event.entry.value);
}

export function objectRecordJson(change: Change): string {
  const { createRevision, modRevision } = change.event.entry;
  return `{"value":${valueJson(change)},"createRevision":${createRevision},"modRevision":${modRevision}}`;
}

export function logRecordJson(change: Change): string {
  const { type, entry } = change.event;
  const prev = change.prev ? `,"prev":${JSON.stringify(change.prev)}` : '';
  return `{"type":"${type}","key":${JSON.stringify(entry.key)},"value":${valueJson(change)},"createRevision":${entry.createRevision},"modRevision":${entry.modRevision}${prev}}`;
}
