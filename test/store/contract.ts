// The Store contract, run against every implementation (memory.test.ts, level.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLabelSelector } from '../../src/api/selectors.js';
import {
  StoreAlreadyExistsError, StoreClosedError, StoreConflictError, StoreExpiredError, StoreNotFoundError,
} from '../../src/store/errors.js';
import type { Entry, Store } from '../../src/store/store.js';
import { obj, range, record, until } from './helpers.js';

export interface StoreUnderTest {
  store: Store;
  /** Stop (if still running) and remove whatever the store left behind. */
  dispose(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name}: Store contract`, () => {
    let sut: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      sut = await factory();
      store = sut.store;
    });
    afterEach(async () => {
      await sut.dispose();
    });

    describe('create, get, list', () => {
      it('creates and reads back an entry, and refuses to create it twice', async () => {
        const e = await store.create('pods/default/a', obj('a'));
        expect(e).toMatchObject({ key: 'pods/default/a', value: obj('a') });
        expect(e.createRevision).toBe(e.modRevision);
        expect(await store.get('pods/default/a')).toEqual(e);
        expect(await store.get('pods/default/missing')).toBeUndefined();
        await expect(store.create('pods/default/a', obj('a'))).rejects.toBeInstanceOf(StoreAlreadyExistsError);
      });

      it('keeps its own copy of values', async () => {
        const value = obj('a', { app: 'web' });
        await store.create('pods/default/a', value);
        (value.metadata!.labels as Record<string, string>).app = 'changed';
        expect((await store.get('pods/default/a'))!.value.metadata!.labels).toEqual({ app: 'web' });
      });

      it('lists by prefix in key order, without crossing into sibling prefixes', async () => {
        for (const k of ['pods/b/2', 'pods/a/1', 'pods/b/1', 'pods/ab/1', 'nodes/n1']) await store.create(k, obj(k));
        const res = await store.list('pods/b/');
        expect(res.items.map((e) => e.key)).toEqual(['pods/b/1', 'pods/b/2']);
        expect(res.revision).toBe(store.revision());
        expect(res.continueKey).toBeUndefined();
        expect((await store.list('pods/')).items.map((e) => e.key)).toEqual(['pods/a/1', 'pods/ab/1', 'pods/b/1', 'pods/b/2']);
        expect((await store.list('')).items).toHaveLength(5);
      });

      it('filters a list by label selector', async () => {
        await store.create('pods/a', obj('a', { app: 'web', tier: 'front' }));
        await store.create('pods/b', obj('b', { app: 'db' }));
        await store.create('pods/c', obj('c'));
        const keys = async (sel: string): Promise<string[]> =>
          (await store.list('pods/', { labelSelector: parseLabelSelector(sel) })).items.map((e) => e.key);
        expect(await keys('app=web')).toEqual(['pods/a']);
        expect(await keys('app')).toEqual(['pods/a', 'pods/b']);
        expect(await keys('!app')).toEqual(['pods/c']);
        expect(await keys('app!=web')).toEqual(['pods/b', 'pods/c']);
      });

      it('pages with limit and continue', async () => {
        for (const i of range(1, 7)) await store.create(`pods/p${i}`, obj(`p${i}`, { even: String(i % 2 === 0) }));
        const seen: string[] = [];
        let continueAfter: string | undefined;
        let pages = 0;
        do {
          const page = await store.list('pods/', { limit: 3, continueAfter });
          seen.push(...page.items.map((e) => e.key));
          continueAfter = page.continueKey;
          pages++;
        } while (continueAfter !== undefined);
        expect(seen).toEqual(range(1, 7).map((i) => `pods/p${i}`));
        expect(pages).toBe(3);

        const sel = parseLabelSelector('even=true');
        const first = await store.list('pods/', { labelSelector: sel, limit: 2 });
        expect(first.items.map((e) => e.key)).toEqual(['pods/p2', 'pods/p4']);
        const second = await store.list('pods/', { labelSelector: sel, limit: 2, continueAfter: first.continueKey });
        expect(second.items.map((e) => e.key)).toEqual(['pods/p6']);
        expect(second.continueKey).toBeUndefined();
      });
    });

    describe('update and delete', () => {
      it('updates with the current revision and rejects a stale one', async () => {
        const a = await store.create('pods/a', obj('a'));
        const b = await store.update('pods/a', obj('a', { v: '2' }), { expectedRevision: a.modRevision });
        expect(b.modRevision).toBeGreaterThan(a.modRevision);
        expect(b.createRevision).toBe(a.createRevision);
        const err = await store.update('pods/a', obj('a', { v: '3' }), { expectedRevision: a.modRevision }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflictError);
        expect(err).toMatchObject({ key: 'pods/a', expected: a.modRevision, actual: b.modRevision });
        expect((await store.get('pods/a'))!.modRevision).toBe(b.modRevision);
        await expect(store.update('pods/none', obj('x'))).rejects.toBeInstanceOf(StoreNotFoundError);
      });

      it('updates unconditionally without expectedRevision', async () => {
        await store.create('pods/a', obj('a'));
        await store.update('pods/a', obj('a', { v: '1' }));
        const c = await store.update('pods/a', obj('a', { v: '2' }));
        expect((await store.get('pods/a'))!).toEqual(c);
      });

      it('deletes with a precondition and returns the last value at the delete revision', async () => {
        const a = await store.create('pods/a', obj('a', { app: 'web' }));
        await expect(store.delete('pods/a', { expectedRevision: a.modRevision + 100 })).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.get('pods/a')).toBeDefined();
        const d = await store.delete('pods/a', { expectedRevision: a.modRevision });
        expect(d).toMatchObject({ key: 'pods/a', value: obj('a', { app: 'web' }), createRevision: a.createRevision });
        expect(d.modRevision).toBe(store.revision());
        expect(await store.get('pods/a')).toBeUndefined();
        await expect(store.delete('pods/a')).rejects.toBeInstanceOf(StoreNotFoundError);
        expect((await store.create('pods/a', obj('a'))).createRevision).toBeGreaterThan(d.modRevision);
      });

      it('gives every write a strictly higher revision; failed writes take none', async () => {
        const start = store.revision();
        const revs: number[] = [];
        revs.push((await store.create('k/a', obj('a'))).modRevision);
        await expect(store.create('k/a', obj('a'))).rejects.toThrow();
        revs.push((await store.update('k/a', obj('a', { x: '1' }))).modRevision);
        revs.push((await store.update('k/a', obj('a', { x: '2' }), { volatile: true })).modRevision);
        revs.push((await store.create('k/b', obj('b'))).modRevision);
        revs.push((await store.delete('k/a')).modRevision);
        expect(revs).toEqual(range(start + 1, start + 5));
        expect(store.revision()).toBe(start + 5);
      });

      it('applies volatile updates like any other: readable, with a revision', async () => {
        const a = await store.create('nodes/n1', obj('n1'));
        const v = await store.update('nodes/n1', obj('n1', undefined, { status: { heartbeat: 1 } }), { volatile: true, expectedRevision: a.modRevision });
        expect(await store.get('nodes/n1')).toEqual(v);
        await expect(store.update('nodes/n1', obj('n1'), { volatile: true, expectedRevision: a.modRevision })).rejects.toBeInstanceOf(StoreConflictError);
      });

      it('serializes many concurrent writers without losing an update', async () => {
        await store.create('counter', { n: 0 });
        const bump = async (): Promise<void> => {
          for (;;) {
            const cur = (await store.get<{ n: number }>('counter'))!;
            try {
              await store.update('counter', { n: cur.value.n + 1 }, { expectedRevision: cur.modRevision });
              return;
            } catch (err) {
              if (!(err instanceof StoreConflictError)) throw err;
            }
          }
        };
        const creates = range(1, 100).map((i) => store.create(`many/${i}`, obj(`m${i}`)));
        const bumps = range(1, 40).map(() => bump());
        const created = await Promise.all(creates);
        await Promise.all(bumps);
        expect((await store.get<{ n: number }>('counter'))!.value.n).toBe(40);
        const revs = created.map((e) => e.modRevision);
        expect(new Set(revs).size).toBe(100);
        expect((await store.list('many/')).items).toHaveLength(100);
      });
    });

    describe('watch', () => {
      it('from 0 delivers only what happens next', async () => {
        await store.create('pods/a', obj('a'));
        const w = record(store, 'pods/', { fromRevision: 0 });
        const b = await store.create('pods/b', obj('b'));
        await until(() => w.events.length === 1, 'one event');
        expect(w.events).toEqual([{ type: 'ADDED', entry: b }]);
        w.handle.close();
        await store.create('pods/c', obj('c'));
        expect(w.events).toHaveLength(1);
        expect(w.closed).toBeUndefined();
      });

      it('from a past revision catches up then goes live, with no gaps and no repeats', async () => {
        const revs: number[] = [];
        for (const i of range(1, 20)) revs.push((await store.create(`pods/p${i}`, obj(`p${i}`))).modRevision);
        const from = revs[4]!;
        const w = record(store, 'pods/', { fromRevision: from });
        // Writes racing with the catch-up: they must appear exactly once, after it.
        const racing = await Promise.all(range(21, 30).map((i) => store.create(`pods/p${i}`, obj(`p${i}`))));
        await store.update('pods/p1', obj('p1', { v: '2' }), { volatile: true });
        await until(() => w.revisions().at(-1) === store.revision(), 'all events');
        expect(w.revisions()).toEqual(range(from + 1, store.revision()));
        expect(w.events.slice(-1)[0]!.type).toBe('MODIFIED');
        expect(racing.every((e) => w.revisions().includes(e.modRevision))).toBe(true);
      });

      it('filters by prefix', async () => {
        const w = record(store, 'pods/ns1/', { fromRevision: 0 });
        await store.create('pods/ns1/a', obj('a'));
        await store.create('pods/ns10/a', obj('a'));
        await store.create('nodes/n1', obj('n1'));
        const last = await store.create('pods/ns1/b', obj('b'));
        await until(() => w.events.length === 2, 'two events');
        expect(w.events.map((e) => e.entry.key)).toEqual(['pods/ns1/a', 'pods/ns1/b']);
        expect(w.revisions().at(-1)).toBe(last.modRevision);
      });

      it('filters by label selector: entering is ADDED, leaving is DELETED', async () => {
        const w = record(store, 'pods/', { fromRevision: 0, labelSelector: parseLabelSelector('app=web') });
        await store.create('pods/a', obj('a', { app: 'web' }));
        await store.create('pods/b', obj('b', { app: 'db' }));
        await store.update('pods/b', obj('b', { app: 'web' }));
        await store.update('pods/a', obj('a', { app: 'web', v: '2' }));
        await store.update('pods/a', obj('a', { app: 'db' }));
        await store.update('pods/a', obj('a', { app: 'db', v: '3' }));
        await store.delete('pods/b');
        await until(() => w.events.length === 5, 'five events');
        expect(w.events.map((e) => `${e.type} ${e.entry.key}`)).toEqual([
          'ADDED pods/a', 'ADDED pods/b', 'MODIFIED pods/a', 'DELETED pods/a', 'DELETED pods/b',
        ]);
      });

      it('applies the label selector to catch-up events too', async () => {
        const start = (await store.create('other/x', obj('x'))).modRevision;
        await store.create('pods/a', obj('a', { app: 'web' }));
        await store.create('pods/b', obj('b', { app: 'db' }));
        await store.update('pods/b', obj('b', { app: 'web' }));
        const w = record(store, 'pods/', { fromRevision: start, labelSelector: parseLabelSelector('app=web') });
        await until(() => w.events.length === 2, 'two events');
        expect(w.events.map((e) => `${e.type} ${e.entry.key}`)).toEqual(['ADDED pods/a', 'ADDED pods/b']);
      });

      it('sends DELETED with the last value', async () => {
        await store.create('pods/a', obj('a'));
        const last = await store.update('pods/a', obj('a', { final: 'yes' }));
        const w = record(store, 'pods/', { fromRevision: 0 });
        const d = await store.delete('pods/a');
        await until(() => w.events.length === 1, 'delete event');
        expect(w.events[0]).toEqual({ type: 'DELETED', entry: { ...last, modRevision: d.modRevision } });
      });

      it('delivers volatile updates', async () => {
        await store.create('nodes/n1', obj('n1'));
        const w = record(store, 'nodes/', { fromRevision: 0 });
        const v = await store.update('nodes/n1', obj('n1', undefined, { hb: 1 }), { volatile: true });
        await until(() => w.events.length === 1, 'volatile event');
        expect(w.events[0]).toEqual({ type: 'MODIFIED', entry: v });
      });

      it('expires watches older than a compaction', async () => {
        const revs: number[] = [];
        for (const i of range(1, 10)) revs.push((await store.create(`pods/p${i}`, obj(`p${i}`))).modRevision);
        await store.compact(revs[5]!);
        expect(store.compactedRevision()).toBeGreaterThanOrEqual(revs[5]!);
        expect(() => store.watch('pods/', { fromRevision: revs[2]! }, { onEvent: () => undefined })).toThrow(StoreExpiredError);
        const w = record(store, 'pods/', { fromRevision: store.compactedRevision() });
        await until(() => w.revisions().at(-1) === revs[9], 'catch-up after compaction');
        expect(w.revisions()).toEqual(range(store.compactedRevision() + 1, revs[9]!));
      });

      it('closes a watcher that throws without failing the writer or other watchers', async () => {
        let closedWith: Error | undefined;
        const bad = store.watch('pods/', { fromRevision: 0 }, {
          onEvent: () => { throw new Error('boom'); },
          onClose: (reason) => { closedWith = reason; },
        });
        const good = record(store, 'pods/', { fromRevision: 0 });
        await store.create('pods/a', obj('a'));
        await store.create('pods/b', obj('b'));
        await until(() => good.events.length === 2, 'good watcher events');
        expect(closedWith?.message).toBe('boom');
        bad.close();
      });

      it('keeps revision order for writes made from inside a watch callback', async () => {
        const seen: number[][] = [[], []];
        let reacted = false;
        for (const i of [0, 1]) {
          store.watch('pods/', { fromRevision: 0 }, {
            onEvent: (e) => {
              seen[i]!.push(e.entry.modRevision);
              if (i === 0 && !reacted) {
                reacted = true;
                void store.create('pods/reaction', obj('r'));
              }
            },
          });
        }
        const first = await store.create('pods/a', obj('a'));
        await until(() => seen[1]!.length === 2, 'reaction delivered');
        expect(seen[0]).toEqual([first.modRevision, first.modRevision + 1]);
        expect(seen[1]).toEqual([first.modRevision, first.modRevision + 1]);
      });
    });

    describe('lifecycle', () => {
      it('closes watches on stop and refuses operations afterwards', async () => {
        const w = record(store, 'pods/', { fromRevision: 0 });
        await store.create('pods/a', obj('a'));
        await store.stop();
        expect(w.closed).toEqual({ reason: undefined });
        await expect(store.get('pods/a')).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.create('pods/b', obj('b'))).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.list('pods/')).rejects.toBeInstanceOf(StoreClosedError);
        expect(() => store.watch('pods/', { fromRevision: 0 }, { onEvent: () => undefined })).toThrow(StoreClosedError);
      });
    });
  });
}

export type { Entry };
