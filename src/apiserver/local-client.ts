// The API in process: ApiInterface over ResourceService and the store's watch, without HTTP.
// Components inside the master (node gateway, later scheduler and controllers) use it. Calls
// act as the master's own identity: there is no authorization step, exactly as for the admin.
// Semantics match the HTTP API: same validation and errors (StatusError), and a watch with the
// same event rules (initial ADDED without resourceVersion, selector transitions, 410 as ERROR).
//
// Ownership, for in-process calls (no copy is made on the way in): the registry never changes
// what it is given (it works on copies, and the store keeps its own deep-frozen copy of what
// it stores, sharing only parts it already owns), so a caller keeps its object — but must not
// change it until the call has settled, since the registry may read it after an await. What
// comes back (results, watch events) shares deep-frozen parts with the store: clone before
// changing it.
import type { ResourceType } from '../api/registry.js';
import { storePrefix } from '../api/registry.js';
import { parseFieldSelector, parseLabelSelector, matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from '../api/selectors.js';
import { StatusError, type Status } from '../api/status.js';
import type { KList, KObject } from '../api/types.js';
import type { ApiInterface, DeleteOptions, ListOptions, PatchType, WatchEvent, WatchOptions } from '../client/api.js';
import type { Store, WatchEvent as StoreWatchEvent, WatchHandle } from '../store/store.js';
import { StoreExpiredError } from '../store/errors.js';
import { expired } from './errors.js';
import { fromEntry, parseResourceVersion } from './objects.js';
import type { ResourceService } from './resources.js';
import { bindPod } from './binding-routes.js';

/** Events queued for a consumer that does not keep up before its watch is ended with a 429 ERROR. */
const maxQueuedEvents = 100_000;

export class LocalApiClient implements ApiInterface {
  constructor(private readonly resources: ResourceService, private readonly store: Store) {}

  async get<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, name: string): Promise<T> {
    return await this.resources.get(rt, ns, name) as T;
  }

  async list<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts: ListOptions = {}): Promise<KList<T>> {
    const q: Parameters<ResourceService['list']>[2] = {
      labelSelector: parseLabelSelector(opts.labelSelector),
      fieldSelector: parseFieldSelector(opts.fieldSelector, rt.selectableFields),
    };
    if (opts.limit !== undefined) q.limit = opts.limit;
    if (opts.continue !== undefined) q.continue = opts.continue;
    return await this.resources.list(rt, ns, q) as KList<T>;
  }

  async create<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T> {
    return (await this.resources.create(rt, ns, obj)).object as T;
  }

  async update<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T> {
    return (await this.resources.update(rt, ns, nameOf(obj), obj)).object as T;
  }

  async updateStatus<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T> {
    return (await this.resources.updateStatus(rt, ns, nameOf(obj), obj)).object as T;
  }

  async patch<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', subresource?: 'status'): Promise<T> {
    return (await this.resources.patch(rt, ns, name, type, patch, subresource ? { subresource } : {})).object as T;
  }

  async delete(rt: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject | Status> {
    return (await this.resources.delete(rt, ns, name, opts)).object;
  }

  watch<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    return localWatch<T>(this.store, rt, ns, opts);
  }

  async bind(ns: string, name: string, nodeName: string): Promise<void> {
    await bindPod(this.store, ns, name, nodeName);
  }
}

function nameOf(obj: KObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new StatusError('BadRequest', `${obj.kind} has no metadata.name`);
  return name;
}

interface Filter { labels: LabelSelector; fields: FieldSelector }

async function* localWatch<T extends KObject>(store: Store, rt: ResourceType, ns: string | undefined, opts: WatchOptions): AsyncGenerator<WatchEvent<T>> {
  const filter: Filter = { labels: parseLabelSelector(opts.labelSelector), fields: parseFieldSelector(opts.fieldSelector, rt.selectableFields) };
  const matches = (o: KObject): boolean => matchesLabels(filter.labels, o.metadata.labels) && matchesFields(filter.fields, o);
  const prefix = storePrefix(rt, ns);
  const requested = parseResourceVersion(opts.resourceVersion, 'resourceVersion');
  const matched = new Map<string, boolean>();
  const queue: WatchEvent<T>[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const push = (ev: WatchEvent<T>): void => {
    if (ended) return;
    if (queue.length >= maxQueuedEvents) {
      queue.push({ type: 'ERROR', object: new StatusError('TooManyRequests', 'watch dropped: the consumer is not keeping up; rewatch from the last resourceVersion').toStatus() });
      ended = true;
    } else {
      queue.push(ev);
    }
    wake?.();
  };

  let from = requested ?? 0;
  if (requested === undefined || requested === 0) {
    const current = await store.list(prefix);
    from = current.revision;
    for (const e of current.items) {
      const obj = fromEntry(e);
      const m = matches(obj);
      matched.set(e.key, m);
      if (m) queue.push({ type: 'ADDED', object: obj as T });
    }
  }

  const onEvent = (ev: StoreWatchEvent): void => {
    const obj = fromEntry(ev.entry);
    const now = matches(obj);
    const before = ev.type === 'ADDED' ? false : (matched.get(ev.entry.key) ?? now);
    if (ev.type === 'DELETED') {
      matched.delete(ev.entry.key);
      if (before) push({ type: 'DELETED', object: obj as T });
      return;
    }
    matched.set(ev.entry.key, now);
    if (before && now) push({ type: 'MODIFIED', object: obj as T });
    else if (now) push({ type: 'ADDED', object: obj as T });
    else if (before) push({ type: 'DELETED', object: obj as T });
  };

  let handle: WatchHandle | undefined;
  try {
    handle = store.watch(prefix, { fromRevision: from }, { onEvent, onClose: () => { ended = true; wake?.(); } });
  } catch (err) {
    const e = err instanceof StoreExpiredError ? expired(err.requested, err.compacted) : new StatusError('InternalError', String(err));
    yield* queue.splice(0);
    yield { type: 'ERROR', object: e.toStatus() };
    return;
  }
  const timer = opts.timeoutSeconds !== undefined ? setTimeout(() => { ended = true; wake?.(); }, opts.timeoutSeconds * 1000) : undefined;
  const onAbort = (): void => { ended = true; wake?.(); };
  opts.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (ended) return;
      await new Promise<void>((r) => { wake = r; });
      wake = undefined;
    }
  } finally {
    handle.close();
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
