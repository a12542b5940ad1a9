// The LevelDB store: Bramble's embedded default.
//
// All current objects live in memory (the read path); LevelDB is the durable truth. Each
// durable write goes to disk in one atomic batch: the object, a change-log entry and the
// store revision. Writes are group-committed: while one synced batch is written, new writes
// queue, and the next batch takes all of them, so many concurrent writers share one fsync.
// Revisions and preconditions are settled at enqueue, against the latest pending state;
// readers and watchers see a write only once its batch is on disk.
//
// Volatile updates (heartbeats) skip the disk. To keep revisions from going backwards after
// a crash that loses them, a block of revisions is reserved on disk (m/reserved) before any
// volatile revision beyond it is acknowledged; a start that finds a reservation knows
// volatile state may have been lost, resumes above it and expires all older history.

import { Level } from 'level';
import type { Logger } from '../log/logger.js';
import { adopt, deepFreeze, planCreate, planDelete, planUpdate, type Change, type NextRevision } from './change.js';
import { StoreClosedError, StoreExpiredError, StoreFailedError } from './errors.js';
import { WatchHub } from './hub.js';
import {
  LOG_RANGE, META_COMPACTED, META_RESERVED, META_REV, OBJECT_RANGE, changeOfLog, keyOfObject, logKey, logRecord, logRecordJson, objectKey, objectRecordJson,
  objectRecord, revisionOfLog, type LogRecord, type ObjectRecord,
} from './level-codec.js';
import type {
  DeleteOptions, Entry, ListOptions, ListResult, Store, StoredValue, UpdateOptions, WatchCallbacks, WatchHandle, WatchOptions,
} from './store.js';
import { ObjectTable } from './table.js';

export interface LevelStoreOptions {
  /** Folder of the LevelDB database (created if missing). */
  path: string;
  logger: Logger;
  /** Change-log entries kept on disk for watch resumption (default 10000). */
  historyLimit?: number;
  /** Compact once the log holds this many entries beyond historyLimit (default historyLimit/10, at least 100). */
  compactEvery?: number;
  /** Recent changes kept in memory for fast catch-up (default 4096). */
  ringSize?: number;
  /** Revisions reserved per disk write for volatile updates (default 10000). */
  reserveBlock?: number;
}

export interface LevelStoreStats {
  /** Synced batches written by the commit pipeline (group commits and reservations). */
  batches: number;
  /** Durable writes (create, update, delete) committed. */
  syncedWrites: number;
  /** Volatile updates applied (in memory only). */
  volatileWrites: number;
  /** Revision reservations written for volatile updates. */
  reservations: number;
  /** Every write to LevelDB: batches, compaction, start-up and shutdown records. */
  diskWrites: number;
  compactions: number;
  /** Objects whose latest state is volatile (not yet on disk). */
  dirty: number;
}

type Op = { type: 'put'; key: string; value: unknown; valueEncoding?: 'utf8' } | { type: 'del'; key: string };
type Db = Level<string, unknown>;

/** A write in the commit queue: a change, or a refusal decided against a queued (unseen) write. */
interface Queued {
  change?: Change;
  refusal?: Error;
  resolve(entry: Entry): void;
  reject(err: Error): void;
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

export class LevelStore implements Store {
  private readonly db: Db;
  private readonly log: Logger;
  private readonly historyLimit: number;
  private readonly compactEvery: number;
  private readonly reserveBlock: number;
  private readonly table = new ObjectTable();
  private readonly hub: WatchHub;
  private state: State = 'new';
  private failure: StoreFailedError | undefined;

  /** Last revision handed out (≥ the committed revision while writes are queued). */
  private assigned = 0;
  private compacted = 0;
  /** The persisted reservation, or undefined when none is on disk. */
  private reserved: number | undefined;
  /** Latest queued state per key (undefined = deleted), for preconditions of later writes. */
  private readonly pending = new Map<string, { rev: number; entry: Entry | undefined }>();
  private queue: Queued[] = [];
  private committing = false;
  private idleWaiters: (() => void)[] = [];
  /** Keys whose current state is volatile only. */
  private readonly dirty = new Set<string>();
  /** Revisions present in the disk log, ascending; drives automatic compaction. */
  private logRevs: number[] = [];
  private compaction: Promise<void> = Promise.resolve();
  private compactionsQueued = 0;
  /** Set while a batch is being made visible: writes from watcher callbacks wait for the next pump. */
  private applying = false;
  private stopping: Promise<void> | undefined;
  private readonly counters = { batches: 0, syncedWrites: 0, volatileWrites: 0, reservations: 0, diskWrites: 0, compactions: 0 };

  constructor(opts: LevelStoreOptions) {
    this.log = opts.logger.child({ component: 'store', path: opts.path });
    this.historyLimit = Math.max(1, opts.historyLimit ?? 10_000);
    this.compactEvery = Math.max(1, opts.compactEvery ?? Math.max(100, Math.floor(this.historyLimit / 10)));
    this.reserveBlock = Math.max(1, opts.reserveBlock ?? 10_000);
    this.hub = new WatchHub(opts.ringSize ?? 4096, this.log);
    this.db = new Level<string, unknown>(opts.path, { valueEncoding: 'json' });
  }

  // ---- lifecycle ---------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.state !== 'new') throw new StoreClosedError();
    await this.db.open();
    const [rev, compacted, reserved] = (await this.db.getMany([META_REV, META_COMPACTED, META_RESERVED])) as (number | undefined)[];
    for await (const [k, v] of this.db.iterator(OBJECT_RANGE)) {
      const rec = v as ObjectRecord;
      this.table.set({ key: keyOfObject(k), value: adopt(rec.value), createRevision: rec.createRevision, modRevision: rec.modRevision });
    }
    for await (const k of this.db.keys(LOG_RANGE)) this.logRevs.push(revisionOfLog(k));
    this.assigned = rev ?? 0;
    this.compacted = compacted ?? 0;
    if (reserved !== undefined) await this.recoverFromCrash(reserved);
    this.hub.reset(this.assigned);
    this.state = 'running';
    this.log.info({ revision: this.assigned, compacted: this.compacted, objects: this.table.size }, 'store started');
    if (this.logRevs.length > 0 && this.logRevs[0]! <= this.compacted) this.startCompaction(this.compacted);
  }

  /**
   * A reservation on disk means the last run did not stop cleanly and may have acknowledged
   * volatile changes that are now lost. Resume above every revision it could have handed out,
   * and expire all history: watchers must relist, since their caches may hold lost changes.
   */
  private async recoverFromCrash(reserved: number): Promise<void> {
    const lost = Math.max(0, reserved - this.assigned);
    this.assigned = Math.max(this.assigned, reserved);
    this.compacted = this.assigned;
    await this.writeDisk([
      { type: 'put', key: META_REV, value: this.assigned },
      { type: 'put', key: META_COMPACTED, value: this.compacted },
      { type: 'del', key: META_RESERVED },
    ]);
    this.log.warn({ revision: this.assigned, skippedRevisions: lost }, 'store was not stopped cleanly: volatile changes may be lost; watch history expired');
  }

  /** Wait for pending writes, persist volatile state, close the database and all watches. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    if (wasRunning) {
      await this.drained();
      await this.compaction;
      if (!this.failure) await this.flushDirty();
    }
    this.hub.closeAll(undefined);
    await this.db.close();
    this.state = 'stopped';
    this.log.info({ revision: this.assigned }, 'store stopped');
  }

  /**
   * Test-only: drop the store as a crash would (no flush of volatile state, the reservation
   * stays on disk). Queued writes reject; the database is closed so the path can be reopened.
   */
  abandon(): Promise<void> {
    if (this.state !== 'running') return this.stop();
    this.stopping = this.crash();
    return this.stopping;
  }

  private async crash(): Promise<void> {
    this.state = 'stopping';
    for (const q of this.queue.splice(0)) q.reject(new StoreClosedError());
    await this.drained();
    await this.compaction;
    this.hub.closeAll(new StoreClosedError());
    await this.db.close();
    this.state = 'stopped';
  }

  private async flushDirty(): Promise<void> {
    const ops: Op[] = [];
    for (const key of this.dirty) {
      const entry = this.table.get(key);
      if (!entry) continue;
      const change: Change = { event: { type: 'MODIFIED', entry }, volatile: false };
      ops.push({ type: 'put', key: objectKey(key), value: objectRecord(change) });
      // A log entry at the volatile revision lets watchers resume across a clean restart.
      if (entry.modRevision > this.compacted) ops.push({ type: 'put', key: logKey(entry.modRevision), value: logRecord(change) });
    }
    ops.push({ type: 'put', key: META_REV, value: this.assigned }, { type: 'del', key: META_RESERVED });
    await this.writeDisk(ops);
    this.log.debug({ flushed: this.dirty.size }, 'volatile state flushed');
    this.dirty.clear();
    this.reserved = undefined;
  }

  stats(): LevelStoreStats {
    return { ...this.counters, dirty: this.dirty.size };
  }

  // ---- reads -------------------------------------------------------------------------

  revision(): number {
    return this.hub.lastRevision();
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async get<T extends StoredValue = StoredValue>(key: string): Promise<Entry<T> | undefined> {
    this.checkReadable();
    return this.table.get(key) as Entry<T> | undefined;
  }

  async list<T extends StoredValue = StoredValue>(prefix: string, opts?: ListOptions): Promise<ListResult<T>> {
    this.checkReadable();
    return { ...this.table.list(prefix, opts), revision: this.hub.lastRevision() } as ListResult<T>;
  }

  // ---- writes ------------------------------------------------------------------------

  async create<T extends StoredValue>(key: string, value: T): Promise<Entry<T>> {
    return this.enqueue(key, (current, next) => planCreate(key, value, current, next)) as Promise<Entry<T>>;
  }

  async update<T extends StoredValue>(key: string, value: T, opts: UpdateOptions = {}): Promise<Entry<T>> {
    return this.enqueue(key, (current, next) => planUpdate(key, value, opts, current, next)) as Promise<Entry<T>>;
  }

  async delete<T extends StoredValue = StoredValue>(key: string, opts: DeleteOptions = {}): Promise<Entry<T>> {
    return this.enqueue(key, (current, next) => planDelete(key, opts, current, next)) as Promise<Entry<T>>;
  }

  private enqueue(key: string, plan: (current: Entry | undefined, next: NextRevision) => Change): Promise<Entry> {
    this.checkWritable();
    const queued = this.pending.get(key);
    let change: Change;
    try {
      change = plan(queued ? queued.entry : this.table.get(key), () => this.assigned + 1);
    } catch (err) {
      if (!queued) throw err;
      // Refused because of a write readers cannot see yet: report it once they can, so a
      // caller that re-reads and retries sees the newer state (instead of spinning on it).
      return new Promise<Entry>((resolve, reject) => {
        this.queue.push({ refusal: err as Error, resolve, reject });
        this.pump();
      });
    }
    const { entry } = change.event;
    this.assigned = entry.modRevision;
    this.pending.set(key, { rev: entry.modRevision, entry: change.event.type === 'DELETED' ? undefined : entry });
    return new Promise<Entry>((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      this.pump();
    });
  }

  /** Start the next group commit, unless one is on disk already (it will call back). */
  private pump(): void {
    if (this.committing || this.applying || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const { ops, reservation } = this.batchOps(batch);
    if (ops.length === 0) {
      // Volatile updates inside the reservation: nothing to write, visible at once.
      this.applyCommitted(batch);
      this.pump();
      this.settleIdle();
      return;
    }
    this.committing = true;
    this.counters.batches++;
    if (reservation !== undefined) this.counters.reservations++;
    this.writeDisk(ops).then(
      () => {
        if (reservation !== undefined) this.reserved = reservation;
        this.applyCommitted(batch);
        this.maybeCompact();
        // Start the next batch one event-loop turn later: the writers just acknowledged
        // queue their next writes first, so a batch carries every writer (fewer fsyncs,
        // less SD-card wear) instead of alternating half-full batches.
        setImmediate(() => {
          this.committing = false;
          this.pump();
          this.settleIdle();
        });
      },
      (err: unknown) => {
        this.committing = false;
        this.fail(err, batch);
        this.settleIdle();
      },
    );
  }

  private batchOps(batch: Queued[]): { ops: Op[]; reservation?: number } {
    const ops: Op[] = [];
    let maxVolatile = 0;
    let last = 0;
    for (const { change } of batch) {
      if (!change) continue;
      const { type, entry } = change.event;
      last = entry.modRevision;
      if (change.volatile) {
        maxVolatile = entry.modRevision;
        delete change.json; // not written now; flushDirty writes the value as it is then
        continue;
      }
      ops.push(type === 'DELETED'
        ? { type: 'del', key: objectKey(entry.key) }
        : { type: 'put', key: objectKey(entry.key), value: objectRecordJson(change), valueEncoding: 'utf8' });
      ops.push({ type: 'put', key: logKey(entry.modRevision), value: logRecordJson(change), valueEncoding: 'utf8' });
      // Written into the records: the ring keeps the change for catch-up, not its text.
      delete change.json;
    }
    if (ops.length > 0) ops.push({ type: 'put', key: META_REV, value: last });
    if (maxVolatile > 0 && (this.reserved === undefined || maxVolatile > this.reserved)) {
      const reservation = maxVolatile + this.reserveBlock;
      ops.push({ type: 'put', key: META_RESERVED, value: reservation });
      return { ops, reservation };
    }
    return { ops };
  }

  /** Make a committed batch visible: memory state, then watchers, then the writers. */
  private applyCommitted(batch: Queued[]): void {
    this.applying = true;
    try {
      for (const q of batch) this.applyOne(q);
    } finally {
      this.applying = false;
    }
  }

  private applyOne({ change, refusal, resolve, reject }: Queued): void {
    if (!change) {
      reject(refusal ?? new Error('empty write'));
      return;
    }
    const { type, entry } = change.event;
    if (type === 'DELETED') this.table.delete(entry.key);
    else this.table.set(entry);
    if (change.volatile) {
      this.dirty.add(entry.key);
      this.counters.volatileWrites++;
    } else {
      this.dirty.delete(entry.key);
      this.logRevs.push(entry.modRevision);
      this.counters.syncedWrites++;
    }
    if (this.pending.get(entry.key)?.rev === entry.modRevision) this.pending.delete(entry.key);
    this.hub.publish(change);
    resolve(entry);
  }

  /** A failed batch: its writes and everything queued behind it reject, and writing stops for good. */
  private fail(err: unknown, batch: Queued[]): void {
    this.failure = new StoreFailedError(err);
    this.log.error({ err, writes: batch.length + this.queue.length }, 'store batch write failed; refusing further writes');
    const rejected = [...batch, ...this.queue.splice(0)];
    this.pending.clear();
    for (const q of rejected) q.reject(this.failure);
  }

  private drained(): Promise<void> {
    if (!this.committing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private settleIdle(): void {
    if (this.committing || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async writeDisk(ops: Op[]): Promise<void> {
    this.counters.diskWrites++;
    // A chained batch hands each op to LevelDB as it is added; the array form first copies
    // every op into a new object (abstract-level's #arrayBatch), a third of the JS cost of a
    // group commit. Same atomic, synced write.
    const batch = this.db.batch();
    try {
      for (const op of ops) {
        if (op.type === 'del') batch.del(op.key);
        else if (op.valueEncoding) batch.put(op.key, op.value, { valueEncoding: op.valueEncoding });
        else batch.put(op.key, op.value);
      }
    } catch (err) {
      await batch.close();
      throw err;
    }
    // LevelDB has its own copy of each record now: let the texts go before the fsync, rather
    // than keep them (this frame lives until the write is done) into the old generation.
    ops.length = 0;
    await batch.write({ sync: true });
  }

  // ---- watch -------------------------------------------------------------------------

  watch<T extends StoredValue = StoredValue>(prefix: string, opts: WatchOptions, cb: WatchCallbacks<T>): WatchHandle {
    this.checkReadable();
    const from = opts.fromRevision;
    if (from !== 0 && from < this.compacted) throw new StoreExpiredError(from, this.compacted);
    return this.hub.watch(prefix, from, opts.labelSelector, cb, (after, upTo) => this.olderChanges(prefix, after, upTo));
  }

  /**
   * Catch-up older than the ring: the disk log, plus the current state of volatile-only
   * objects changed in range (their volatile changes are in no log, and a watcher must not
   * keep a stale copy). The dirty snapshot is taken now, before any later change is published.
   */
  private olderChanges(prefix: string, after: number, upTo: number): Promise<Change[]> {
    const synthetic: Change[] = [];
    for (const key of this.dirty) {
      const entry = this.table.get(key);
      if (entry && key.startsWith(prefix) && entry.modRevision > after && entry.modRevision <= upTo) {
        synthetic.push({ event: { type: 'MODIFIED', entry }, volatile: true });
      }
    }
    return this.readLog(prefix, after, this.hub.ringFloor()).then((logged) => [...logged, ...synthetic]);
  }

  private async readLog(prefix: string, after: number, upTo: number): Promise<Change[]> {
    const out: Change[] = [];
    for await (const v of this.db.values({ gt: logKey(after), lte: logKey(upTo) })) {
      const rec = v as LogRecord;
      if (rec.key.startsWith(prefix)) out.push(deepFreeze(changeOfLog(rec)));
    }
    // A compaction that started meanwhile may have removed part of the range.
    if (after < this.compacted) throw new StoreExpiredError(after, this.compacted);
    return out;
  }

  // ---- compaction ----------------------------------------------------------------------

  async compact(revision: number): Promise<void> {
    this.checkReadable();
    const upTo = Math.min(revision, this.hub.lastRevision());
    if (upTo > this.compacted) {
      this.compacted = upTo;
      this.startCompaction(upTo);
    }
    await this.compaction;
  }

  /** Keep the log to historyLimit entries, in the background. */
  private maybeCompact(): void {
    if (this.compactionsQueued > 0 || this.logRevs.length <= this.historyLimit + this.compactEvery) return;
    const upTo = this.logRevs[this.logRevs.length - this.historyLimit - 1]!;
    if (upTo <= this.compacted) return;
    this.compacted = upTo;
    this.startCompaction(upTo);
  }

  /**
   * Record the compacted revision, then delete the log range. Not synced: LevelDB applies
   * writes in order, so the deletions never survive without the record before them.
   */
  private startCompaction(upTo: number): void {
    this.compactionsQueued++;
    const run = async (): Promise<void> => {
      try {
        this.counters.diskWrites += 2;
        await this.db.put(META_COMPACTED, upTo);
        await this.db.clear({ gte: LOG_RANGE.gte, lte: logKey(upTo) });
        this.logRevs = this.logRevs.filter((r) => r > upTo);
        this.counters.compactions++;
        this.log.debug({ compacted: upTo }, 'change log compacted');
      } catch (err) {
        this.log.warn({ err, compacted: upTo }, 'change log compaction failed; will retry on the next one');
      } finally {
        this.compactionsQueued--;
      }
    };
    this.compaction = this.compaction.then(run);
  }

  // ---- guards --------------------------------------------------------------------------

  private checkReadable(): void {
    if (this.state !== 'running' && this.state !== 'stopping') throw new StoreClosedError();
  }

  private checkWritable(): void {
    if (this.state !== 'running') throw new StoreClosedError();
    if (this.failure) throw this.failure;
  }
}
