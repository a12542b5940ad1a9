// The watch hub: live fan-out of committed changes to watchers (by key prefix and label
// selector), in revision order, plus a bounded ring of recent changes for fast catch-up.
// Delivery is synchronous: a watcher callback runs inside the writer's commit, so it must be
// cheap, and one that throws is closed without disturbing the writer or other watchers.

import type { Logger } from '../log/logger.js';
import { isEverything, matchesLabels, type LabelSelector } from '../api/selectors.js';
import type { Change } from './change.js';
import { StoreExpiredError } from './errors.js';
import type { StoredValue, WatchCallbacks, WatchEvent, WatchHandle } from './store.js';
import { labelsOf } from './table.js';

/**
 * Catch-up changes the ring no longer holds (the LevelStore's disk log), for revisions in
 * (after, upTo]. Called synchronously at watch time, so any snapshot it takes is consistent
 * with the changes the watcher will then receive live.
 */
export type OlderChanges = (after: number, upTo: number) => Promise<Change[]>;

export class WatchHub {
  private readonly ring: (Change | undefined)[];
  private head = 0;
  private count = 0;
  /** Every change with a revision above this is in the ring. */
  private floor = 0;
  private last = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly outbox: Change[] = [];
  private delivering = false;

  constructor(ringSize: number, private readonly logger: Logger) {
    this.ring = new Array<Change | undefined>(Math.max(1, ringSize));
  }

  /** Start over at revision (store start): nothing older is in the ring. */
  reset(revision: number): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.floor = revision;
    this.last = revision;
  }

  lastRevision(): number {
    return this.last;
  }

  ringFloor(): number {
    return this.floor;
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Record a committed change and deliver it. Revisions must arrive in increasing order. A
   * write made from inside a watcher callback is delivered after the current one has reached
   * every watcher, so each watcher still sees revision order.
   */
  publish(change: Change): void {
    if (this.count === this.ring.length) {
      this.floor = this.at(0).event.entry.modRevision;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
    }
    this.ring[(this.head + this.count) % this.ring.length] = change;
    this.count++;
    this.last = change.event.entry.modRevision;
    this.outbox.push(change);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let c = this.outbox.shift(); c; c = this.outbox.shift()) {
        for (const w of this.watchers) w.offer(c);
      }
    } finally {
      this.delivering = false;
    }
  }

  /** Forget ring changes at or below revision (MemoryStore compaction). */
  dropThrough(revision: number): void {
    while (this.count > 0 && this.at(0).event.entry.modRevision <= revision) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
    }
    this.floor = Math.max(this.floor, Math.min(revision, this.last));
  }

  /** Ring changes with revision > after, oldest first. */
  ringSince(after: number): Change[] {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).event.entry.modRevision <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: Change[] = [];
    for (let i = lo; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  /**
   * Watch from fromRevision (0 = live only). Catch-up changes are delivered asynchronously
   * (never inside this call), then live ones; live changes that arrive during catch-up are
   * buffered, and both are deduplicated by revision, so there are no gaps and no repeats.
   */
  watch<T extends StoredValue>(prefix: string, fromRevision: number, selector: LabelSelector | undefined, cb: WatchCallbacks<T>, older?: OlderChanges): WatchHandle {
    const after = fromRevision === 0 ? this.last : fromRevision;
    if (after < this.floor && !older) throw new StoreExpiredError(fromRevision, this.floor);
    const sel = selector && !isEverything(selector) ? selector : undefined;
    const w = new Watcher(prefix, sel, cb as WatchCallbacks, after, (x) => this.watchers.delete(x), this.logger);
    this.watchers.add(w);
    if (after < this.last) {
      const recent = this.ringSince(Math.max(after, this.floor));
      const past = after < this.floor && older ? older(after, this.last) : Promise.resolve([]);
      w.catchUp(past.then((changes) => merge(changes, recent)));
    }
    return { close: () => w.close(undefined, false) };
  }

  closeAll(reason?: Error): void {
    for (const w of [...this.watchers]) w.close(reason, true);
  }

  private at(i: number): Change {
    return this.ring[(this.head + i) % this.ring.length]!;
  }
}

/** Union by revision (ring copies win: they always know the previous labels), in revision order. */
function merge(a: Change[], b: Change[]): Change[] {
  const byRev = new Map<number, Change>();
  for (const c of a) byRev.set(c.event.entry.modRevision, c);
  for (const c of b) byRev.set(c.event.entry.modRevision, c);
  return [...byRev.values()].sort((x, y) => x.event.entry.modRevision - y.event.entry.modRevision);
}

class Watcher {
  /** Live changes held back while catch-up is running. */
  private buffer: Change[] | undefined;
  private closed = false;

  constructor(
    private readonly prefix: string,
    private readonly selector: LabelSelector | undefined,
    private readonly cb: WatchCallbacks,
    /** Revision of the last change delivered (or deliberately skipped). */
    private last: number,
    private readonly detach: (w: Watcher) => void,
    private readonly logger: Logger,
  ) {}

  offer(change: Change): void {
    if (!change.event.entry.key.startsWith(this.prefix)) return;
    if (this.buffer) this.buffer.push(change);
    else this.deliver(change);
  }

  catchUp(changes: Promise<Change[]>): void {
    this.buffer = [];
    changes.then(
      (past) => {
        for (const c of past) if (c.event.entry.key.startsWith(this.prefix)) this.deliver(c);
        const live = this.buffer ?? [];
        this.buffer = undefined;
        for (const c of live) this.deliver(c);
      },
      (err: unknown) => this.close(err instanceof Error ? err : new Error(String(err)), true),
    );
  }

  close(reason: Error | undefined, notify: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = undefined;
    this.detach(this);
    if (!notify) return;
    try {
      this.cb.onClose?.(reason);
    } catch (err) {
      this.logger.warn({ err, prefix: this.prefix }, 'watch onClose callback threw');
    }
  }

  private deliver(change: Change): void {
    const rev = change.event.entry.modRevision;
    if (this.closed || rev <= this.last) return;
    this.last = rev;
    const event = present(change, this.selector);
    if (!event) return;
    try {
      this.cb.onEvent(event);
    } catch (err) {
      this.logger.warn({ err, prefix: this.prefix, revision: rev }, 'watcher threw; closing it');
      this.close(err instanceof Error ? err : new Error(String(err)), true);
    }
  }
}

/**
 * The event as seen through a label selector, as Kubernetes' watch cache shows it: an
 * object entering the selection is ADDED, one leaving it is DELETED (with its new value).
 */
function present(change: Change, selector: LabelSelector | undefined): WatchEvent | undefined {
  const { event } = change;
  if (!selector) return event;
  const now = matchesLabels(selector, labelsOf(event.entry.value));
  if (event.type !== 'MODIFIED') return now ? event : undefined;
  const before = change.prev ? matchesLabels(selector, change.prev.labels) : now;
  if (now && before) return event;
  if (now) return { type: 'ADDED', entry: event.entry };
  if (before) return { type: 'DELETED', entry: event.entry };
  return undefined;
}
