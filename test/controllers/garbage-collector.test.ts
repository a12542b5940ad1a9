// The garbage collector against a real API server: background cascade, foreground waiting for
// blocking dependents, orphaning. Owners and dependents are made by hand (no workload controllers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { startWithControllers, type ClusterHarness } from './manager-harness.js';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import type { KList, KObject } from '../../src/api/types.js';
import type { ApiInterface, ListOptions } from '../../src/client/api.js';
import { EventRecorder } from '../../src/client/events.js';
import { SharedInformers } from '../../src/client/informer.js';
import { GarbageCollector } from '../../src/controllers/garbage-collector.js';
import { itemKey } from '../../src/controllers/gc-graph.js';
import { silentLogger } from '../../src/log/logger.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';

let h: ClusterHarness;
beforeAll(async () => { h = await startWithControllers(['garbage-collector']); });
afterAll(async () => { await h?.stop(); });

const rsPath = '/apis/apps/v1/namespaces/default/replicasets';
const podPath = '/api/v1/namespaces/default/pods';
const cmPath = '/api/v1/namespaces/default/configmaps';

async function owner(name: string): Promise<KObject> {
  const r = await h.call('POST', rsPath, {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name },
    spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
  });
  expect(r.status).toBe(201);
  return r.body;
}

function ownedBy(o: KObject, block = true): Record<string, unknown> {
  return { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: block }] };
}

async function dependentPod(name: string, meta: Record<string, unknown>): Promise<void> {
  const r = await h.call('POST', podPath, { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
  expect(r.status).toBe(201);
}

describe('garbage collector', () => {
  it('background: deleting an owner deletes its dependents of any kind', async () => {
    const rs = await owner('bg');
    await dependentPod('bg-1', ownedBy(rs));
    await dependentPod('bg-2', ownedBy(rs, false));
    expect((await h.call('POST', cmPath, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bg-cm', ...ownedBy(rs) }, data: {} })).status).toBe(201);
    await dependentPod('bg-unrelated', {});
    expect((await h.call('DELETE', `${rsPath}/bg`)).status).toBe(200);
    for (const p of [`${podPath}/bg-1`, `${podPath}/bg-2`, `${cmPath}/bg-cm`]) {
      await until(`${p} collected`, async () => ((await h.getBody(p)) === undefined ? true : undefined));
    }
    expect(await h.getBody(`${podPath}/bg-unrelated`)).toBeDefined();
  });

  it('a dependent whose owner never existed (dangling uid) is collected; one with a live second owner only loses the dangling reference', async () => {
    const live = await owner('live');
    const ghost = { ...live, metadata: { ...live.metadata, name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' } };
    await dependentPod('dangling', ownedBy(ghost));
    await dependentPod('two-owners', { ownerReferences: [...(ownedBy(ghost).ownerReferences as unknown[]), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'live', uid: live.metadata.uid }] });
    await until('dangling collected', async () => ((await h.getBody(`${podPath}/dangling`)) === undefined ? true : undefined));
    const kept = await until('dangling reference dropped', async () => {
      const p = await h.getBody(`${podPath}/two-owners`);
      return p?.metadata.ownerReferences?.length === 1 ? p : undefined;
    });
    expect(kept.metadata.ownerReferences[0].uid).toBe(live.metadata.uid);
  });

  it('foreground: the owner stays (with its finalizer) until blocking dependents are gone', async () => {
    const rs = await owner('fg');
    // A finalizer holds the dependent while it is being deleted, so the wait is observable.
    await dependentPod('fg-1', { ...ownedBy(rs), finalizers: ['example.com/hold'] });
    const del = await h.call('DELETE', `${rsPath}/fg?propagationPolicy=Foreground`);
    expect(del.status).toBe(202);
    expect(del.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    await until('dependent marked for deletion', async () => ((await h.getBody(`${podPath}/fg-1`))?.metadata.deletionTimestamp ? true : undefined));
    const waiting = await h.getBody(`${rsPath}/fg`);
    expect(waiting?.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Release the dependent: it goes, then the collector lets the owner go.
    expect((await h.call('PATCH', `${podPath}/fg-1`, { metadata: { finalizers: null } })).status).toBe(200);
    await until('owner deleted after its dependents', async () => ((await h.getBody(`${rsPath}/fg`)) === undefined ? true : undefined));
    expect(await h.getBody(`${podPath}/fg-1`)).toBeUndefined();
  });

  it('orphan: the owner goes, dependents stay without references to it', async () => {
    const rs = await owner('or');
    await dependentPod('or-1', ownedBy(rs));
    expect((await h.call('DELETE', `${rsPath}/or?propagationPolicy=Orphan`)).status).toBe(202);
    await until('owner deleted', async () => ((await h.getBody(`${rsPath}/or`)) === undefined ? true : undefined));
    const p = await h.getBody(`${podPath}/or-1`);
    expect(p).toBeDefined();
    expect(p.metadata.ownerReferences).toBeUndefined();
    expect(p.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('garbage collector: started after the deletion', () => {
  it('finishes an orphaning left pending (it decides only once every cache has listed)', async () => {
    const h2 = await startWithControllers([]);
    try {
      const rs = (await h2.call('POST', rsPath, {
        apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'late' },
        spec: { replicas: 0, selector: { matchLabels: { app: 'late' } }, template: { metadata: { labels: { app: 'late' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
      })).body;
      for (const name of ['late-1', 'late-2']) {
        const r = await h2.call('POST', podPath, { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...ownedBy(rs) }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
        expect(r.status).toBe(201);
      }
      expect((await h2.call('DELETE', `${rsPath}/late?propagationPolicy=Orphan`)).status).toBe(202);
      // The pods' cache fills last: a collector deciding before would see an owner without dependents.
      class SlowPods extends LocalApiClient {
        override async list<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts?: ListOptions): Promise<KList<T>> {
          if (rt.plural === 'pods') await new Promise((r) => setTimeout(r, 300));
          return super.list<T>(rt, ns, opts);
        }
      }
      const gc = new ControllerManager({ api: new SlowPods(h2.server.resources, h2.store), logger: silentLogger(), only: ['garbage-collector'] });
      await gc.start();
      try {
        await until('owner deleted', async () => ((await h2.getBody(`${rsPath}/late`)) === undefined ? true : undefined));
        for (const name of ['late-1', 'late-2']) {
          const p = await until(`${name} orphaned`, async () => {
            const pod = await h2.getBody(`${podPath}/${name}`);
            return pod && !pod.metadata.ownerReferences ? pod : undefined;
          });
          expect(p.metadata.deletionTimestamp).toBeUndefined();
        }
      } finally {
        await gc.stop();
      }
    } finally {
      await h2.stop();
    }
  });
});

describe('garbage collector: an owner not in the cache yet', () => {
  it('is looked up live before anything is deleted; only a confirmed absence deletes', async () => {
    const podsType = resourceByKind('v1', 'Pod')!;
    const ownerObj: KObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'late', namespace: 'default', uid: 'owner-uid' } };
    const dependent: KObject = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'dep', namespace: 'default', uid: 'dep-uid', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'late', uid: 'owner-uid' }] },
    };
    let liveOwner: KObject | undefined = ownerObj;
    const deleted: string[] = [];
    const notFound = Object.assign(new Error('not found'), { code: 404 });
    const api = {
      get: async (_rt: unknown, _ns: unknown, name: string) => { if (name === 'late' && liveOwner) return liveOwner; throw notFound; },
      delete: async (_rt: unknown, _ns: unknown, name: string) => { deleted.push(name); return dependent; },
      list: async () => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: [] } as KList),
    } as unknown as ApiInterface;
    const logger = silentLogger();
    const informers = new SharedInformers(api, logger);
    const gc = new GarbageCollector({ api, informers, logger, events: new EventRecorder({ api, component: 'gc', logger }), now: Date.now });
    gc.start();
    // The dependent is cached; the owner's informer has not delivered it.
    const key = itemKey(podsType, 'default', 'dep');
    informers.for(podsType).items.set('default/dep', dependent);
    gc.graph.upsert(key, dependent);
    await gc.reconcile(key);
    expect(deleted).toEqual([]);
    liveOwner = { ...ownerObj, metadata: { ...ownerObj.metadata, uid: 'another-uid' } }; // same name, new object
    await gc.reconcile(key);
    expect(deleted).toEqual(['dep']);
    await gc.stop();
  });
});
