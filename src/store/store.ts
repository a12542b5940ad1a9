// The storage contract. Only the API server uses it. Small on purpose, so that an
// etcd-backed store fits behind it later (keys, revisions and watch map onto etcd's).

import type { LabelSelector } from '../api/selectors.js';

/** A stored JSON value: any object with (optional) metadata.labels, which list filters on. */
export type StoredValue = { metadata?: { labels?: Record<string, string> } } & Record<string, unknown>;

export interface Entry<T extends StoredValue = StoredValue> {
  key: string;
  /** Shared with other readers and watchers, and deep-frozen: clone before changing it. */
  value: T;
  /** Revision of the write that created the key. */
  createRevision: number;
  /** Revision of the last write to the key: Bramble's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  /** At most this many entries; the rest is reached with `continue`. */
  limit?: number;
  /** Opaque: the `continueKey` of a previous page (the last key returned). */
  continueAfter?: string;
}

export interface ListResult<T extends StoredValue = StoredValue> {
  items: Entry<T>[];
  /** The store revision the list reflects. */
  revision: number;
  /** Set when `limit` cut the list short: pass as `continueAfter`. */
  continueKey?: string;
}

export interface UpdateOptions {
  /** Fail with StoreConflictError unless the key's modRevision equals this. */
  expectedRevision?: number;
  /**
   * A frequent, volatile change (node heartbeat, live usage): applied in memory, given a
   * revision and sent to watchers, but not written to disk until a durable write of the same
   * key or a clean shutdown. A crash loses only volatile changes (revisions never go back).
   */
  volatile?: boolean;
}

export interface DeleteOptions {
  expectedRevision?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends StoredValue = StoredValue> {
  type: WatchEventType;
  /** For DELETED: the last value, with modRevision set to the delete's revision. */
  entry: Entry<T>;
}

export interface WatchOptions {
  /** Deliver every event after this revision (0 = only events from now on). */
  fromRevision: number;
  labelSelector?: LabelSelector;
}

export interface WatchHandle {
  /** Stop delivery; idempotent. */
  close(): void;
}

export interface WatchCallbacks<T extends StoredValue = StoredValue> {
  /** Events in revision order; called synchronously from the store, so keep it cheap. */
  onEvent(event: WatchEvent<T>): void;
  /** The store closed the watch (store stopping, or the watcher fell too far behind). */
  onClose?(reason: Error | undefined): void;
}

export interface Store {
  start(): Promise<void>;
  /** Flush what is pending (including volatile changes) and close. */
  stop(): Promise<void>;

  /** Latest revision visible to readers. */
  revision(): number;
  /** Oldest revision a watch may start from (older → StoreExpiredError). */
  compactedRevision(): number;

  get<T extends StoredValue = StoredValue>(key: string): Promise<Entry<T> | undefined>;
  /** Keys starting with prefix, in key order. */
  list<T extends StoredValue = StoredValue>(prefix: string, opts?: ListOptions): Promise<ListResult<T>>;
  /** Fails with StoreAlreadyExistsError. Resolves only once durable. */
  create<T extends StoredValue>(key: string, value: T): Promise<Entry<T>>;
  /** Fails with StoreNotFoundError / StoreConflictError. Resolves only once durable (unless volatile). */
  update<T extends StoredValue>(key: string, value: T, opts?: UpdateOptions): Promise<Entry<T>>;
  /** Returns the deleted entry, modRevision = the delete's revision. */
  delete<T extends StoredValue = StoredValue>(key: string, opts?: DeleteOptions): Promise<Entry<T>>;

  /**
   * Watch keys under prefix. Throws StoreExpiredError synchronously if fromRevision is older
   * than compactedRevision(). Catch-up events (fromRevision+1 … now) come first, then live ones.
   */
  watch<T extends StoredValue = StoredValue>(prefix: string, opts: WatchOptions, cb: WatchCallbacks<T>): WatchHandle;

  /** Drop history at or below revision; watches from there on get StoreExpiredError. */
  compact(revision: number): Promise<void>;
}
