import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { StoreClosedError, StoreExpiredError, StoreFailedError } from '../../src/store/errors.js';
import { LevelStore, type LevelStoreOptions } from '../../src/store/level.js';
import { storeContract } from './contract.js';
import { obj, range, record, tempDir, until } from './helpers.js';

async function levelFactory(extra: Partial<LevelStoreOptions> = {}) {
  const tmp = await tempDir('store');
  const store = new LevelStore({ path: tmp.dir, logger: silentLogger(), ...extra });
  await store.start();
  return { store, dispose: async () => { await store.stop(); await tmp.remove(); } };
}

storeContract('LevelStore', () => levelFactory());
// A tiny ring sends every catch-up through the on-disk log.
storeContract('LevelStore (catch-up from disk)', () => levelFactory({ ringSize: 2 }));

describe('LevelStore on disk', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function folder(): Promise<string> {
    const tmp = await tempDir('level');
    cleanups.push(tmp.remove);
    return tmp.dir;
  }

  async function open(path: string, extra: Partial<LevelStoreOptions> = {}): Promise<LevelStore> {
    const store = new LevelStore({ path, logger: silentLogger(), ...extra });
    await store.start();
    cleanups.push(() => store.stop());
    return store;
  }

  it('keeps data, revision and watch history across a restart', async () => {
    const dir = await folder();
    const a = await open(dir);
    const first = await a.create('pods/a', obj('a', { app: 'web' }));
    await a.create('pods/b', obj('b'));
    await a.update('pods/a', obj('a', { app: 'web', v: '2' }));
    await a.delete('pods/b');
    const rev = a.revision();
    const before = await a.list('pods/');
    await a.stop();

    const b = await open(dir);
    expect(b.revision()).toBe(rev);
    expect((await b.list('pods/')).items).toEqual(before.items);
    const w = record(b, 'pods/', { fromRevision: first.modRevision });
    await until(() => w.events.length === 3, 'history after restart');
    expect(w.events.map((e) => `${e.type} ${e.entry.key}`)).toEqual(['ADDED pods/b', 'MODIFIED pods/a', 'DELETED pods/b']);
    expect((await b.create('pods/c', obj('c'))).modRevision).toBe(rev + 1);
  });

  it('group-commits concurrent writes into few synced batches', async () => {
    const store = await open(await folder());
    const before = store.stats();
    const entries = await Promise.all(range(1, 64).map((i) => store.create(`pods/p${i}`, obj(`p${i}`))));
    const after = store.stats();
    expect(after.syncedWrites - before.syncedWrites).toBe(64);
    // The first write goes alone; the other 63 queue behind its fsync and share the next one.
    expect(after.batches - before.batches).toBeLessThanOrEqual(4);
    expect(entries.map((e) => e.modRevision)).toEqual(range(1, 64));
  });

  it('checks preconditions against queued writes', async () => {
    const store = await open(await folder());
    const a = await store.create('pods/a', obj('a'));
    const [u1, u2, c] = await Promise.allSettled([
      store.update('pods/a', obj('a', { v: '1' }), { expectedRevision: a.modRevision }),
      store.update('pods/a', obj('a', { v: '2' }), { expectedRevision: a.modRevision }),
      store.create('pods/a', obj('a')),
    ]);
    expect(u1.status).toBe('fulfilled');
    expect(u2.status).toBe('rejected');
    expect(c.status).toBe('rejected');
    const d = store.delete('pods/a');
    const recreate = store.create('pods/a', obj('again'));
    expect((await recreate).createRevision).toBe((await d).modRevision + 1);
  });

  it('keeps volatile updates off the disk, and persists them on a clean stop', async () => {
    const dir = await folder();
    const a = await open(dir);
    await a.create('nodes/n1', obj('n1'));
    await a.update('nodes/n1', obj('n1', undefined, { hb: 0 }), { volatile: true }); // takes the reservation
    const before = a.stats();
    let last = 0;
    for (const hb of range(1, 500)) last = (await a.update('nodes/n1', obj('n1', undefined, { hb }), { volatile: true })).modRevision;
    const after = a.stats();
    expect(after.diskWrites).toBe(before.diskWrites);
    expect(after.batches).toBe(before.batches);
    expect(after.volatileWrites - before.volatileWrites).toBe(500);
    expect(after.dirty).toBe(1);
    await a.stop();

    const b = await open(dir);
    expect(b.revision()).toBe(last);
    expect(await b.get('nodes/n1')).toMatchObject({ value: { hb: 500 }, modRevision: last });
    expect(b.compactedRevision()).toBe(0);
    const w = record(b, 'nodes/', { fromRevision: 1 });
    await until(() => w.events.length > 0 && w.revisions().at(-1) === last, 'flushed volatile state in the log');
  });

  it('loses volatile updates in a crash but never reuses their revisions, and expires watch history', async () => {
    const dir = await folder();
    const a = await open(dir, { reserveBlock: 10 });
    await a.create('nodes/n1', obj('n1', undefined, { hb: 0 }));
    let last = 0;
    for (const hb of range(1, 25)) last = (await a.update('nodes/n1', obj('n1', undefined, { hb }), { volatile: true })).modRevision;
    expect(a.stats().reservations).toBeGreaterThanOrEqual(2);
    await a.abandon();

    const b = await open(dir, { reserveBlock: 10 });
    expect(await b.get('nodes/n1')).toMatchObject({ value: { hb: 0 }, modRevision: 1 });
    expect(b.revision()).toBeGreaterThanOrEqual(last);
    expect(b.compactedRevision()).toBe(b.revision());
    expect(() => b.watch('nodes/', { fromRevision: last }, { onEvent: () => undefined })).toThrow(StoreExpiredError);
    const next = await b.update('nodes/n1', obj('n1', undefined, { hb: 26 }));
    expect(next.modRevision).toBeGreaterThan(last);
    const w = record(b, 'nodes/', { fromRevision: b.compactedRevision() });
    await until(() => w.events.length === 1, 'events after the recovery point');
    await b.stop();

    // The recovery itself was clean: a normal restart keeps the history from there on.
    const c = await open(dir);
    expect(c.compactedRevision()).toBe(b.compactedRevision());
    expect(c.revision()).toBe(next.modRevision);
  });

  it('persists a dirty object whole on its next durable write', async () => {
    const dir = await folder();
    const a = await open(dir);
    await a.create('nodes/n1', obj('n1', undefined, { spec: 1, hb: 0 }));
    await a.update('nodes/n1', obj('n1', undefined, { spec: 1, hb: 7 }), { volatile: true });
    const durable = await a.update('nodes/n1', obj('n1', undefined, { spec: 2, hb: 7 }));
    expect(a.stats().dirty).toBe(0);
    await a.abandon();
    const b = await open(dir);
    expect(await b.get('nodes/n1')).toEqual(durable);
  });

  it('keeps history across a crash that lost no volatile state', async () => {
    const dir = await folder();
    const a = await open(dir);
    for (const i of range(1, 5)) await a.create(`pods/p${i}`, obj(`p${i}`));
    await a.abandon();
    const b = await open(dir);
    expect(b.revision()).toBe(5);
    expect(b.compactedRevision()).toBe(0);
    const w = record(b, 'pods/', { fromRevision: 1 });
    await until(() => w.events.length === 4, 'history');
  });

  it('sends the current state of volatile-only objects when catching up from disk', async () => {
    const store = await open(await folder(), { ringSize: 2 });
    const n1 = await store.create('nodes/n1', obj('n1'));
    const v = await store.update('nodes/n1', obj('n1', undefined, { hb: 1 }), { volatile: true });
    for (const i of range(1, 5)) await store.create(`nodes/x${i}`, obj(`x${i}`));
    const w = record(store, 'nodes/', { fromRevision: n1.modRevision });
    await until(() => w.revisions().at(-1) === store.revision(), 'catch-up');
    expect(w.revisions()).toEqual(range(v.modRevision, store.revision()));
    expect(w.events[0]).toEqual({ type: 'MODIFIED', entry: v });
  });

  it('compacts the log automatically to historyLimit', async () => {
    const dir = await folder();
    const store = await open(dir, { historyLimit: 20, compactEvery: 5, ringSize: 4 });
    for (const i of range(1, 100)) await store.create(`pods/p${i}`, obj(`p${i}`));
    await store.compact(0); // waits for background compaction
    expect(store.stats().compactions).toBeGreaterThan(0);
    const compacted = store.compactedRevision();
    expect(compacted).toBeGreaterThanOrEqual(100 - 20 - 5);
    expect(compacted).toBeLessThanOrEqual(100 - 20);
    expect(() => store.watch('pods/', { fromRevision: compacted - 1 }, { onEvent: () => undefined })).toThrow(StoreExpiredError);
    const w = record(store, 'pods/', { fromRevision: compacted });
    await until(() => w.revisions().at(-1) === 100, 'catch-up from the kept log');
    expect(w.revisions()).toEqual(range(compacted + 1, 100));
    await store.stop();
    const again = await open(dir, { historyLimit: 20, compactEvery: 5 });
    expect(again.compactedRevision()).toBe(compacted);
  });

  it('waits for queued writes on stop', async () => {
    const dir = await folder();
    const a = await open(dir);
    const writes = range(1, 20).map((i) => a.create(`pods/p${i}`, obj(`p${i}`)));
    await a.stop();
    expect(await Promise.all(writes)).toHaveLength(20);
    await expect(a.create('pods/late', obj('late'))).rejects.toBeInstanceOf(StoreClosedError);
    const b = await open(dir);
    expect((await b.list('pods/')).items).toHaveLength(20);
  });

  it('rejects a failed batch and refuses further writes', async () => {
    const store = await open(await folder());
    await store.create('pods/a', obj('a'));
    // Break the disk underneath the store: its next batch fails.
    await (store as any).db.close();
    const results = await Promise.allSettled([store.create('pods/b', obj('b')), store.create('pods/c', obj('c'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(store.update('pods/a', obj('a', { v: '2' }))).rejects.toBeInstanceOf(StoreFailedError);
    expect(await store.get('pods/b')).toBeUndefined();
    expect((await store.get('pods/a'))!.modRevision).toBe(1);
  });
});
