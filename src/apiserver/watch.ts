// Watch over HTTP: newline-delimited `{"type","object"}` events.
// Each watcher filters on labels/fields and remembers whether each object it has seen
// matched, so an object that stops matching is sent as DELETED and one that starts matching
// as ADDED (as Kubernetes' watch cache does). For an object it has not seen since it started
// (a watch resumed from a revision), it assumes the client's copy matched as the object does now. A watcher whose socket cannot keep up is dropped with an
// ERROR event instead of buffering without bound or slowing the store's writers.
import type { ServerResponse } from 'node:http';
import type { ResourceType } from '../api/registry.js';
import { storePrefix } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from '../api/selectors.js';
import type { Store, WatchEvent, WatchHandle } from '../store/store.js';
import { StoreExpiredError } from '../store/errors.js';
import { expired } from './errors.js';
import { fromEntry } from './objects.js';

export interface WatchLimits {
  /** Bytes queued on a socket before the watcher counts as too slow. */
  maxBufferedBytes: number;
  /** Bookmark interval, when the client asks for bookmarks. */
  bookmarkIntervalMs: number;
  /** Used when the client gives no timeoutSeconds. */
  defaultTimeoutSeconds: number;
}

export const defaultWatchLimits: WatchLimits = { maxBufferedBytes: 4 * 1024 * 1024, bookmarkIntervalMs: 60_000, defaultTimeoutSeconds: 1800 };

export interface WatchRequest {
  rt: ResourceType;
  namespace: string | undefined;
  /** undefined or 0: send the current objects as ADDED first. */
  resourceVersion: number | undefined;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  timeoutSeconds: number | undefined;
  allowBookmarks: boolean;
}

export interface WatchObserver {
  opened(): void;
  closed(reason: 'timeout' | 'client' | 'slow' | 'store' | 'error'): void;
}

function line(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

// One store event reaches every watcher: serialize its object once, not once per watcher. The
// store delivers an event to all its watchers in one go, so remembering the last entry is
// enough; a cache keyed by every entry would keep a second JSON copy of every stored object
// alive (the store's table holds the entries) for the life of the master.
let lastEntry: WatchEvent['entry'] | undefined;
let lastSerialized: { obj: KObject; json: string } | undefined;

function eventObject(entry: WatchEvent['entry']): { obj: KObject; json: string } {
  if (entry !== lastEntry || !lastSerialized) {
    const obj = fromEntry(entry);
    lastSerialized = { obj, json: JSON.stringify(obj) };
    lastEntry = entry;
  }
  return lastSerialized;
}

function eventLine(type: string, json: string): string {
  return `{"type":"${type}","object":${json}}\n`;
}

export class HttpWatch {
  private handle: WatchHandle | undefined;
  /** key → did the client's copy match the selectors. */
  private readonly matched = new Map<string, boolean>();
  private timers: NodeJS.Timeout[] = [];
  private done = false;
  private lastRevision = 0;

  constructor(
    private readonly store: Store,
    private readonly req: WatchRequest,
    private readonly res: ServerResponse,
    private readonly limits: WatchLimits,
    private readonly observer: WatchObserver,
  ) {}

  private matches(obj: KObject): boolean {
    return matchesLabels(this.req.labelSelector, obj.metadata.labels) && matchesFields(this.req.fieldSelector, obj);
  }

  /** Start streaming; the response must not have been written yet. */
  async start(): Promise<void> {
    const { rt, namespace } = this.req;
    const prefix = storePrefix(rt, namespace);
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    this.res.flushHeaders();
    this.observer.opened();
    this.res.on('close', () => this.finish('client'));

    let from = this.req.resourceVersion ?? 0;
    // Start from current state: list, then watch from the list's revision.
    const sendInitial = this.req.resourceVersion === undefined || this.req.resourceVersion === 0;
    if (sendInitial) {
      const current = await this.store.list(prefix);
      from = current.revision;
      for (const e of current.items) {
        const obj = fromEntry(e);
        const m = this.matches(obj);
        this.matched.set(e.key, m);
        if (m) this.write(line('ADDED', obj));
      }
    }
    this.lastRevision = from;
    if (this.done) return;
    try {
      this.handle = this.store.watch(prefix, { fromRevision: from }, {
        onEvent: (ev) => this.onEvent(ev),
        onClose: () => this.finish('store'),
      });
    } catch (err) {
      const e = err instanceof StoreExpiredError ? expired(err.requested, err.compacted) : err instanceof StatusError ? err : new StatusError('InternalError', String(err));
      this.res.end(line('ERROR', e.toStatus()));
      this.finish('error');
      return;
    }
    const timeout = (this.req.timeoutSeconds ?? this.limits.defaultTimeoutSeconds) * 1000;
    this.timers.push(setTimeout(() => { this.res.end(); this.finish('timeout'); }, timeout));
    if (this.req.allowBookmarks) this.timers.push(setInterval(() => this.bookmark(), this.limits.bookmarkIntervalMs));
  }

  private onEvent(ev: WatchEvent): void {
    if (this.done) return;
    this.lastRevision = ev.entry.modRevision;
    const { obj, json } = eventObject(ev.entry);
    const key = ev.entry.key;
    const now = this.matches(obj);
    const before = ev.type === 'ADDED' ? false : (this.matched.get(key) ?? now);
    if (ev.type === 'DELETED') {
      this.matched.delete(key);
      if (before) this.write(eventLine('DELETED', json));
      return;
    }
    this.matched.set(key, now);
    if (before && now) this.write(eventLine('MODIFIED', json));
    else if (now) this.write(eventLine('ADDED', json));
    else if (before) this.write(eventLine('DELETED', json));
  }

  private bookmark(): void {
    const rev = Math.max(this.lastRevision, this.store.revision());
    this.write(line('BOOKMARK', { kind: this.req.rt.kind, apiVersion: this.req.rt.apiVersion, metadata: { resourceVersion: String(rev) } }));
  }

  private write(chunk: string): void {
    if (this.done) return;
    if (this.res.writableLength > this.limits.maxBufferedBytes) {
      const s = new StatusError('TooManyRequests', `watch dropped: the client is not reading fast enough (more than ${this.limits.maxBufferedBytes} bytes queued); reconnect from the last resourceVersion`);
      this.res.end(line('ERROR', s.toStatus()));
      // If the client never drains, do not keep the socket (and its buffer) forever.
      const kill = setTimeout(() => this.res.destroy(), 5000);
      kill.unref();
      this.finish('slow');
      return;
    }
    this.res.write(chunk);
  }

  private finish(reason: Parameters<WatchObserver['closed']>[0]): void {
    if (this.done) return;
    this.done = true;
    this.handle?.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (reason === 'store' && !this.res.writableEnded) this.res.end();
    this.observer.closed(reason);
  }

  /** Server shutdown. */
  close(): void {
    if (!this.res.writableEnded) this.res.end();
    this.finish('store');
  }
}
