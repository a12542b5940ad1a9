// An in-memory stand-in for the API as informers use it: list answers what a test put in
// `state`, watch streams what it pushes (per resource plural), writes are recorded and echoed
// on the watch, so a controller's cache sees its own writes as with the real server.
import type { ResourceType } from '../../src/api/registry.js';
import type { KList, KObject } from '../../src/api/types.js';
import type { ApiInterface, WatchEvent } from '../../src/client/api.js';

interface Stream { queue: WatchEvent[]; wake: (() => void) | undefined }

export interface Write { verb: 'create' | 'update' | 'delete'; plural: string; key: string; obj: KObject | undefined }

export class FakeApi {
  /** What list answers, by resource plural. */
  readonly state = new Map<string, KObject[]>();
  readonly writes: Write[] = [];
  rv = 1;
  lists = 0;
  private readonly streams = new Map<string, Stream>();

  asApi(): ApiInterface {
    return this as unknown as ApiInterface; // only the calls informers and controllers make here
  }

  list = async (rt: ResourceType): Promise<KList> => {
    this.lists++;
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.rv) }, items: [...(this.state.get(rt.plural) ?? [])] };
  };

  watch = (rt: ResourceType, _ns: unknown, opts: { signal: AbortSignal }): AsyncIterable<WatchEvent> => {
    const s = this.stream(rt.plural);
    const next = async (): Promise<WatchEvent | undefined> => {
      while (s.queue.length === 0) {
        if (opts.signal.aborted) return undefined;
        await new Promise<void>((r) => { s.wake = r; opts.signal.addEventListener('abort', () => r(), { once: true }); });
      }
      return s.queue.shift();
    };
    return {
      async *[Symbol.asyncIterator]() {
        for (let ev = await next(); ev; ev = await next()) {
          yield ev;
          if (ev.type === 'ERROR') return;
        }
      },
    };
  };

  /** Sends a watch event; the object's resourceVersion becomes the current revision. */
  push(plural: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject): void {
    this.rv = Math.max(this.rv, Number(obj.metadata.resourceVersion));
    this.send(plural, { type, object: obj });
  }

  /** History compacted: the informer relists (and gets `state`). */
  gone(plural: string): void {
    this.send(plural, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old', reason: 'Expired', code: 410 } });
  }

  create = async (rt: ResourceType, ns: string | undefined, obj: KObject): Promise<KObject> => this.write('create', 'ADDED', rt, ns, obj);
  update = async (rt: ResourceType, ns: string | undefined, obj: KObject): Promise<KObject> => this.write('update', 'MODIFIED', rt, ns, obj);

  delete = async (rt: ResourceType, ns: string | undefined, name: string): Promise<KObject> => {
    const gone = { apiVersion: 'v1', kind: rt.kind, metadata: { name, namespace: ns, resourceVersion: String(++this.rv) } } as KObject;
    this.writes.push({ verb: 'delete', plural: rt.plural, key: `${ns ?? ''}/${name}`, obj: undefined });
    this.push(rt.plural, 'DELETED', gone);
    return gone;
  };

  private write(verb: 'create' | 'update', type: 'ADDED' | 'MODIFIED', rt: ResourceType, ns: string | undefined, obj: KObject): KObject {
    const stored = Object.freeze({ ...obj, metadata: { ...obj.metadata, namespace: ns, resourceVersion: String(++this.rv) } });
    this.writes.push({ verb, plural: rt.plural, key: `${ns ?? ''}/${obj.metadata.name ?? ''}`, obj: stored });
    this.push(rt.plural, type, stored);
    return stored;
  }

  private send(plural: string, ev: WatchEvent): void {
    const s = this.stream(plural);
    s.queue.push(ev);
    s.wake?.();
  }

  private stream(plural: string): Stream {
    let s = this.streams.get(plural);
    if (!s) this.streams.set(plural, s = { queue: [], wake: undefined });
    return s;
  }
}
