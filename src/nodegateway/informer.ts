// A list-then-watch cache of one kind, through the API: current objects in a map, a callback
// per change. A watch that ends is resumed from the last resourceVersion; a 410 (history
// compacted) relists and reports the differences as events, so consumers never miss a change.
import type { ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import type { ApiInterface } from '../client/api.js';
import type { Logger } from '../log/logger.js';

export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler = (type: InformerEvent, obj: KObject, old: KObject | undefined) => void;

export function objectKey(obj: KObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export class Informer {
  readonly items = new Map<string, KObject>();
  /** Highest resourceVersion seen (list or event). */
  revision = 0;
  private readonly abort = new AbortController();
  private syncedResolve: (() => void) | undefined;
  readonly synced: Promise<void>;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: ApiInterface,
    private readonly rt: ResourceType,
    private readonly onEvent: InformerHandler,
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {
    this.synced = new Promise((r) => { this.syncedResolve = r; });
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let rv: string | undefined;
    while (!this.abort.signal.aborted) {
      try {
        if (rv === undefined) rv = await this.relist();
        rv = await this.watchFrom(rv);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.log.warn({ err, resource: this.rt.plural }, 'watch failed; retrying');
        await new Promise((r) => setTimeout(r, this.retryMs));
      }
    }
  }

  /** Lists everything, emits the differences from the cache, returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    const list = await this.api.list(this.rt, undefined);
    const seen = new Set<string>();
    for (const obj of list.items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.items.get(key);
      this.items.set(key, obj);
      if (!old) this.onEvent('ADDED', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.onEvent('MODIFIED', obj, old);
    }
    for (const [key, old] of [...this.items]) {
      if (!seen.has(key)) {
        this.items.delete(key);
        this.onEvent('DELETED', old, old);
      }
    }
    this.bump(list.metadata.resourceVersion);
    this.syncedResolve?.();
    return list.metadata.resourceVersion;
  }

  /** Returns the resourceVersion to resume from, or undefined to relist. */
  private async watchFrom(rv: string): Promise<string | undefined> {
    let last = rv;
    for await (const ev of this.api.watch(this.rt, undefined, { resourceVersion: rv, signal: this.abort.signal })) {
      if (ev.type === 'ERROR') {
        if (ev.object.code === 410) return undefined;
        throw new Error(`watch error: ${ev.object.message}`);
      }
      if (ev.type === 'BOOKMARK') { last = ev.object.metadata.resourceVersion ?? last; continue; }
      const obj = ev.object;
      const key = objectKey(obj);
      const old = this.items.get(key);
      if (ev.type === 'DELETED') this.items.delete(key);
      else this.items.set(key, obj);
      last = obj.metadata.resourceVersion ?? last;
      this.bump(last);
      this.onEvent(ev.type, obj, old);
    }
    return last;
  }

  private bump(rv: string | undefined): void {
    const n = Number(rv);
    if (Number.isFinite(n) && n > this.revision) this.revision = n;
  }
}
