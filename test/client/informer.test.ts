// The informer's namespace index: list(ns) and values(ns) follow adds, updates, deletes and
// relists, and hand out the cached (frozen) objects without letting callers change the cache.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resourceByKind } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { Informer, NamespacedCache } from '../../src/client/informer.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeApi } from './fake-api.js';

const podsType = resourceByKind('v1', 'Pod')!;

function pod(namespace: string, name: string, rv: string, labels: Record<string, string> = {}): KObject {
  return Object.freeze({ apiVersion: 'v1', kind: 'Pod', metadata: Object.freeze({ name, namespace, resourceVersion: rv, labels }) });
}

const names = (objs: Iterable<KObject>): string[] => [...objs].map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`).sort();

/** The index must always agree with a scan of every cached object. */
function expectIndexMatchesScan(cache: NamespacedCache, namespaces: string[]): void {
  for (const ns of namespaces) {
    const scanned = [...cache.values()].filter((o) => (o.metadata.namespace ?? '') === ns);
    expect(names(cache.inNamespace(ns)), `namespace ${ns}`).toEqual(names(scanned));
  }
}

describe('NamespacedCache', () => {
  it('indexes adds, replaces on update, drops on delete and clear', () => {
    const c = new NamespacedCache();
    c.set('a/p1', pod('a', 'p1', '1')).set('a/p2', pod('a', 'p2', '2')).set('b/p1', pod('b', 'p1', '3'));
    expect(names(c.inNamespace('a'))).toEqual(['a/p1', 'a/p2']);
    expect(names(c.inNamespace('b'))).toEqual(['b/p1']);
    expect(names(c.inNamespace('nope'))).toEqual([]);

    const newer = pod('a', 'p1', '4');
    c.set('a/p1', newer);
    const inA = [...c.inNamespace('a')];
    expect(inA).toHaveLength(2);
    expect(inA).toContain(newer);
    expect(inA.map((o) => o.metadata.resourceVersion).sort()).toEqual(['2', '4']);

    expect(c.delete('a/p2')).toBe(true);
    expect(c.delete('a/p2')).toBe(false);
    expect(names(c.inNamespace('a'))).toEqual(['a/p1']);
    c.delete('b/p1');
    expect(names(c.inNamespace('b'))).toEqual([]);

    c.clear();
    expect(c.size).toBe(0);
    expect(names(c.inNamespace('a'))).toEqual([]);
  });

  it('moves an object whose namespace changes under the same key', () => {
    const c = new NamespacedCache();
    c.set('k', pod('a', 'x', '1'));
    c.set('k', pod('b', 'x', '2'));
    expect(names(c.inNamespace('a'))).toEqual([]);
    expect(names(c.inNamespace('b'))).toEqual(['b/x']);
  });

  it('keeps cluster-scoped objects under the empty namespace', () => {
    const c = new NamespacedCache();
    c.set('/pi-1', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' } });
    expect(names(c.inNamespace(''))).toEqual(['/pi-1']);
  });

  it('agrees with a full scan after a long run of random writes', () => {
    const c = new NamespacedCache();
    const namespaces = ['a', 'b', 'c', 'd'];
    let seed = 7;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let i = 0; i < 2000; i++) {
      const ns = namespaces[rand(namespaces.length)]!;
      const key = `${ns}/p${rand(20)}`;
      if (rand(3) === 0) c.delete(key);
      else c.set(key, pod(ns, key.slice(2), String(i)));
    }
    expectIndexMatchesScan(c, namespaces);
  });
});

describe('Informer namespace view', () => {
  let inf: Informer | undefined;
  afterEach(async () => { await inf?.stop(); inf = undefined; });

  async function started(api: FakeApi): Promise<Informer> {
    inf = new Informer(api.asApi(), podsType, undefined, silentLogger(), 5);
    inf.start();
    await inf.synced;
    return inf;
  }

  it('lists one namespace after the first list; list() still lists everything', async () => {
    const api = new FakeApi();
    api.state.set('pods', [pod('a', 'p1', '1'), pod('a', 'p2', '1'), pod('b', 'p1', '1')]);
    const i = await started(api);
    expect(names(i.list('a'))).toEqual(['a/p1', 'a/p2']);
    expect(names(i.values('b'))).toEqual(['b/p1']);
    expect(names(i.list())).toEqual(['a/p1', 'a/p2', 'b/p1']);
    expect(names(i.values())).toEqual(['a/p1', 'a/p2', 'b/p1']);
    expect(i.list('none')).toEqual([]);
  });

  it('follows watch events: a new namespace, an update in place, a delete', async () => {
    const api = new FakeApi();
    api.state.set('pods', [pod('a', 'p1', '1'), pod('a', 'gone', '1')]);
    const i = await started(api);

    api.push('pods', 'ADDED', pod('c', 'p1', '2'));
    const updated = pod('a', 'p1', '3', { v: '2' });
    api.push('pods', 'MODIFIED', updated);
    api.push('pods', 'DELETED', pod('a', 'gone', '4'));
    await vi.waitFor(() => expect(i.revision).toBe(4));

    expect(names(i.list('c'))).toEqual(['c/p1']);
    // The deleted pod must not linger in its namespace's view, nor the old version of p1.
    expect(i.list('a')).toEqual([updated]);
    expect(i.list('a')[0]).toBe(updated);
    api.push('pods', 'DELETED', pod('c', 'p1', '5'));
    await vi.waitFor(() => expect(i.revision).toBe(5));
    expect(i.list('c')).toEqual([]);
    expectIndexMatchesScan(i.items, ['a', 'c']);
  });

  it('a relist (410) replaces the index with what the list holds', async () => {
    const api = new FakeApi();
    api.state.set('pods', [pod('a', 'p1', '1'), pod('a', 'p2', '1'), pod('b', 'p1', '1')]);
    const i = await started(api);
    const events: string[] = [];
    i.on((t, o) => events.push(`${t} ${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`));

    // Meanwhile (in the compacted history) a/p2 and b/p1 went, a/p1 changed and d/p1 came.
    const p1 = pod('a', 'p1', '9');
    api.state.set('pods', [p1, pod('d', 'p1', '9')]);
    api.rv = 9;
    api.gone('pods');
    await vi.waitFor(() => expect(api.lists).toBe(2));
    await vi.waitFor(() => expect(i.revision).toBe(9));

    expect(i.list('a')).toEqual([p1]);
    expect(i.list('b')).toEqual([]);
    expect(names(i.list('d'))).toEqual(['d/p1']);
    expect(events.sort()).toEqual(['ADDED a/p1', 'ADDED a/p2', 'ADDED b/p1', 'ADDED d/p1', 'DELETED a/p2', 'DELETED b/p1', 'MODIFIED a/p1']);
    expectIndexMatchesScan(i.items, ['a', 'b', 'd']);
  });

  it('hands out the cached frozen objects; changing a returned array does not change the cache', async () => {
    const api = new FakeApi();
    const cached = pod('a', 'p1', '1');
    api.state.set('pods', [cached]);
    const i = await started(api);

    const list = i.list('a');
    expect(list[0]).toBe(cached);
    expect(Object.isFrozen(list[0])).toBe(true);
    expect(() => { (list[0]!.metadata as { name?: string }).name = 'changed'; }).toThrow(TypeError);
    list.pop();
    list.push(pod('a', 'intruder', '1'));
    expect(i.list('a')).toEqual([cached]);
    expect(i.get('a', 'intruder')).toBeUndefined();
  });
});
