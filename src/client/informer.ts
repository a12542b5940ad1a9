// A list-then-watch cache of one kind, through the API: current objects in a map (indexed by
// namespace too), a callback per change. A watch that ends is resumed from the last
// resourceVersion; a 410 (history compacted) relists and reports the differences as events, so
// consumers never miss a change.
import type { ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import type { ApiInterface } from '../client/api.js';
import type { Logger } from '../log/logger.js';

export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler = (type: InformerEvent, obj: KObject, old: KObject | undefined) => void;

export function objectKey(obj: KObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

const noObjects: ReadonlyMap<string, KObject> = new Map();

function namespaceOf(obj: KObject): string {
  return obj.metadata.namespace ?? '';
}

/**
 * The cache: a Map by "ns/name" that also keeps each namespace's objects (by the same key) in
 * a Map of their own, so reading one namespace costs its size, not the cluster's. set, delete
 * and clear keep both, so whoever writes the Map (the watch, a relist, a test) cannot leave
 * the index stale. Build it empty: Map's constructor would add entries before the index exists.
 */
export class NamespacedCache extends Map<string, KObject> {
  private readonly byNamespace = new Map<string, Map<string, KObject>>();

  override set(key: string, obj: KObject): this {
    const old = super.get(key);
    if (old !== undefined && namespaceOf(old) !== namespaceOf(obj)) this.unindex(key, old);
    super.set(key, obj);
    const ns = namespaceOf(obj);
    let bucket = this.byNamespace.get(ns);
    if (!bucket) this.byNamespace.set(ns, bucket = new Map());
    bucket.set(key, obj);
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old !== undefined) this.unindex(key, old);
    return super.delete(key);
  }

  override clear(): void {
    this.byNamespace.clear();
    super.clear();
  }

  /** One namespace's objects ('' holds cluster-scoped ones), live: no copy. */
  inNamespace(namespace: string): IterableIterator<KObject> {
    return (this.byNamespace.get(namespace) ?? noObjects).values();
  }

  private unindex(key: string, old: KObject): void {
    const ns = namespaceOf(old);
    const bucket = this.byNamespace.get(ns);
    bucket?.delete(key);
    // Namespaces come and go: an empty one must not stay behind.
    if (bucket?.size === 0) this.byNamespace.delete(ns);
  }
}

export class Informer {
  readonly items = new NamespacedCache();
  private readonly handlers: InformerHandler[] = [];
  /** Highest resourceVersion seen (list or event). */
  revision = 0;
  private readonly abort = new AbortController();
  private syncedResolve: (() => void) | undefined;
  readonly synced: Promise<void>;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: ApiInterface,
    private readonly rt: ResourceType,
    onEvent: InformerHandler | undefined,
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {
    this.synced = new Promise((r) => { this.syncedResolve = r; });
    if (onEvent) this.handlers.push(onEvent);
  }

  /**
   * Adds a consumer (shared informers feed several controllers). A handler added after the
   * first list sees the current objects as ADDED first. Returns a function that removes it.
   */
  on(handler: InformerHandler): () => void {
    this.handlers.push(handler);
    if (this.loop) for (const obj of this.items.values()) handler('ADDED', obj, undefined);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  get(namespace: string | undefined, name: string): KObject | undefined {
    return this.items.get(`${namespace ?? ''}/${name}`);
  }

  /** A copy of every cached object, or of one namespace's ('' holds cluster-scoped ones). */
  list(namespace?: string): KObject[] {
    return [...this.values(namespace)];
  }

  /**
   * The same without the copy, for callers that only iterate. The iterator is live: use it
   * within one synchronous pass (no await in between), as the cache changes between turns.
   */
  values(namespace?: string): IterableIterator<KObject> {
    return namespace === undefined ? this.items.values() : this.items.inNamespace(namespace);
  }

  private onEvent(type: InformerEvent, obj: KObject, old: KObject | undefined): void {
    for (const h of this.handlers) {
      try {
        h(type, obj, old);
      } catch (err) {
        // One consumer's bug must not stop the others or the watch loop.
        this.log.error({ err, resource: this.rt.plural }, 'informer handler threw');
      }
    }
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

/**
 * One informer per resource type, shared by every consumer in a process (the scheduler and
 * each controller), so the master holds one watch and one cache per kind, not one per
 * controller. Cached objects are shared: consumers must never mutate them.
 */
export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(private readonly api: ApiInterface, private readonly log: Logger) {}

  for(rt: ResourceType): Informer {
    const key = `${rt.group}/${rt.plural}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.api, rt, undefined, this.log);
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves when every informer asked for so far has listed once. */
  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.synced));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
