// The in-memory store: unit tests use it, and the contract suite holds it up as the
// reference. Its history is the watch hub's ring: watches older than the ring are expired.

import { silentLogger, type Logger } from '../log/logger.js';
import { planCreate, planDelete, planUpdate, type Change } from './change.js';
import { StoreClosedError, StoreExpiredError } from './errors.js';
import { WatchHub } from './hub.js';
import type {
  DeleteOptions, Entry, ListOptions, ListResult, Store, StoredValue, UpdateOptions, WatchCallbacks, WatchHandle, WatchOptions,
} from './store.js';
import { ObjectTable } from './table.js';

export interface MemoryStoreOptions {
  /** Changes kept for watch catch-up (default 10000). */
  historyLimit?: number;
  logger?: Logger;
}

export class MemoryStore implements Store {
  private readonly table = new ObjectTable();
  private readonly hub: WatchHub;
  private rev = 0;
  private compacted = 0;
  private running = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.hub = new WatchHub(opts.historyLimit ?? 10_000, opts.logger ?? silentLogger());
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.hub.closeAll(undefined);
  }

  revision(): number {
    return this.rev;
  }

  compactedRevision(): number {
    return Math.max(this.compacted, this.hub.ringFloor());
  }

  async get<T extends StoredValue = StoredValue>(key: string): Promise<Entry<T> | undefined> {
    this.check();
    return this.table.get(key) as Entry<T> | undefined;
  }

  async list<T extends StoredValue = StoredValue>(prefix: string, opts?: ListOptions): Promise<ListResult<T>> {
    this.check();
    return { ...this.table.list(prefix, opts), revision: this.rev } as ListResult<T>;
  }

  async create<T extends StoredValue>(key: string, value: T): Promise<Entry<T>> {
    this.check();
    return this.apply(planCreate(key, value, this.table.get(key), () => this.rev + 1)) as Entry<T>;
  }

  async update<T extends StoredValue>(key: string, value: T, opts: UpdateOptions = {}): Promise<Entry<T>> {
    this.check();
    return this.apply(planUpdate(key, value, opts, this.table.get(key), () => this.rev + 1)) as Entry<T>;
  }

  async delete<T extends StoredValue = StoredValue>(key: string, opts: DeleteOptions = {}): Promise<Entry<T>> {
    this.check();
    return this.apply(planDelete(key, opts, this.table.get(key), () => this.rev + 1)) as Entry<T>;
  }

  watch<T extends StoredValue = StoredValue>(prefix: string, opts: WatchOptions, cb: WatchCallbacks<T>): WatchHandle {
    this.check();
    if (opts.fromRevision !== 0 && opts.fromRevision < this.compactedRevision()) {
      throw new StoreExpiredError(opts.fromRevision, this.compactedRevision());
    }
    return this.hub.watch(prefix, opts.fromRevision, opts.labelSelector, cb);
  }

  async compact(revision: number): Promise<void> {
    this.check();
    const upTo = Math.min(revision, this.rev);
    this.compacted = Math.max(this.compacted, upTo);
    this.hub.dropThrough(upTo);
  }

  private apply(change: Change): Entry {
    const { entry } = change.event;
    delete change.json; // nothing to write: the ring keeps the change, not its text
    if (change.event.type === 'DELETED') this.table.delete(entry.key);
    else this.table.set(entry);
    this.rev = entry.modRevision;
    this.hub.publish(change);
    return entry;
  }

  private check(): void {
    if (!this.running) throw new StoreClosedError();
  }
}
