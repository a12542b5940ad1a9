import { describe, expect, it } from 'vitest';
import { reconcileReplicaSet } from '../../src/controllers/replicaset.js';
import { deletionOrder } from '../../src/controllers/pods.js';
import { surgeAndUnavailable, scaledValue } from '../../src/controllers/intstr.js';
import { templateHash, sameTemplate } from '../../src/controllers/hash.js';
import { Expectations } from '../../src/controllers/expectations.js';
import { T0, iso, ownedBy, pod, replicaSet, template } from './fixtures.js';

const rs = replicaSet('web-abc', 3);
const mine = ownedBy(rs);
const plan = (r: typeof rs, pods: ReturnType<typeof pod>[], satisfied = true) =>
  reconcileReplicaSet({ rs: r, pods, now: T0, expectationsSatisfied: satisfied });

describe('reconcileReplicaSet', () => {
  const cases: { name: string; pods: ReturnType<typeof pod>[]; create: number; del: string[] }[] = [
    { name: 'creates all replicas when there are none', pods: [], create: 3, del: [] },
    { name: 'creates the missing ones', pods: [pod('a', { owner: mine, phase: 'Running' })], create: 2, del: [] },
    { name: 'does nothing at the desired count', pods: ['a', 'b', 'c'].map((n) => pod(n, { owner: mine, phase: 'Running' })), create: 0, del: [] },
    {
      name: 'replaces a failed pod (and leaves the failed one to the pod GC)',
      pods: [pod('a', { owner: mine, phase: 'Running' }), pod('b', { owner: mine, phase: 'Running' }), pod('c', { owner: mine, phase: 'Failed' })],
      create: 1, del: [],
    },
    {
      name: 'replaces a pod being deleted',
      pods: [pod('a', { owner: mine, phase: 'Running' }), pod('b', { owner: mine, phase: 'Running' }), pod('c', { owner: mine, phase: 'Running', deleting: true })],
      create: 1, del: [],
    },
    {
      name: 'deletes surplus pods, unscheduled and pending first',
      pods: [
        pod('run-1', { owner: mine, phase: 'Running', node: 'n1' }), pod('run-2', { owner: mine, phase: 'Running', node: 'n2' }),
        pod('run-3', { owner: mine, phase: 'Running', node: 'n3' }), pod('pending', { owner: mine, phase: 'Pending', node: 'n1' }),
        pod('unscheduled', { owner: mine, phase: 'Pending' }),
      ],
      create: 0, del: ['unscheduled', 'pending'],
    },
    {
      name: 'ignores pods of another controller',
      pods: ['a', 'b', 'c'].map((n) => pod(n, { owner: { kind: 'ReplicaSet', name: 'other', uid: 'uid-other' }, phase: 'Running' })),
      create: 3, del: [],
    },
    {
      name: 'counts matching orphans it adopts',
      pods: [pod('orphan', { phase: 'Running' }), pod('a', { owner: mine, phase: 'Running' })],
      create: 1, del: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(rs, c.pods);
      expect(p.create).toBe(c.create);
      expect(p.delete.map((x) => x.metadata.name)).toEqual(c.del);
    });
  }

  it('adopts matching orphans and releases owned pods that no longer match', () => {
    const p = plan(rs, [
      pod('orphan', { phase: 'Running' }),
      pod('other-app', { phase: 'Running', labels: { app: 'db' } }),
      pod('relabelled', { owner: mine, phase: 'Running', labels: { app: 'debug' } }),
      pod('orphan-going', { phase: 'Running', deleting: true }),
    ]);
    expect(p.adopt.map((x) => x.metadata.name)).toEqual(['orphan']);
    expect(p.release.map((x) => x.metadata.name)).toEqual(['relabelled']);
    expect(p.create).toBe(2);
  });

  it('does not create or delete while its own writes are still on their way', () => {
    expect(plan(rs, [], false)).toMatchObject({ create: 0, delete: [] });
    expect(plan(replicaSet('web-abc', 0), [pod('a', { owner: mine })], false).delete).toEqual([]);
  });

  it('creates nothing while the ReplicaSet is being deleted', () => {
    expect(plan(replicaSet('web-abc', 3, {}, { deletionTimestamp: iso(T0) }), []).create).toBe(0);
  });

  it('reports replicas, fully labelled, ready, available (minReadySeconds) and observedGeneration', () => {
    const r = replicaSet('web-abc', 4, { minReadySeconds: 30, template: template('busybox:1.36', { app: 'web', tier: 'fe' }) }, { generation: 7 });
    const p = plan(r, [
      pod('old-ready', { owner: mine, phase: 'Running', readySince: T0 - 60_000, labels: { app: 'web', tier: 'fe' } }),
      pod('new-ready', { owner: mine, phase: 'Running', readySince: T0 - 10_000, labels: { app: 'web', tier: 'fe' } }),
      pod('not-ready', { owner: mine, phase: 'Running', ready: false }),
      pod('failed', { owner: mine, phase: 'Failed' }),
    ]);
    expect(p.status).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 7 });
    expect(p.requeueAfterMs).toBe(20_000);
  });

  it('reports a ReplicaFailure condition while creates fail', () => {
    const p = reconcileReplicaSet({ rs, pods: [], now: T0, expectationsSatisfied: true, failure: { reason: 'FailedCreate', message: 'quota' } });
    expect(p.status.conditions).toEqual([{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: iso(T0) }]);
  });
});

describe('deletionOrder', () => {
  it('prefers unscheduled, pending, not ready, doubled-up, recently ready, restarted, then newest pods', () => {
    const pods = [
      pod('oldest-ready', { phase: 'Running', node: 'n1', readySince: T0 - 100_000, created: T0 - 100_000 }),
      pod('doubled', { phase: 'Running', node: 'n2', readySince: T0 - 200_000 }),
      pod('doubled-2', { phase: 'Running', node: 'n2', readySince: T0 - 200_000 }),
      pod('unscheduled', { phase: 'Pending' }),
      pod('pending', { phase: 'Pending', node: 'n3' }),
      pod('unknown', { phase: 'Unknown', node: 'n4', ready: false }),
      pod('not-ready', { phase: 'Running', node: 'n5', ready: false }),
    ];
    expect(deletionOrder(pods).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending', 'unknown', 'not-ready', 'doubled', 'doubled-2', 'oldest-ready']);
  });

  it('among equals deletes the newer, then the one with more restarts', () => {
    const pods = [pod('old', { phase: 'Running', node: 'a', created: T0 - 10 }), pod('new', { phase: 'Running', node: 'b', created: T0 }), pod('crashy', { phase: 'Running', node: 'c', created: T0 - 20, restarts: 4 })];
    expect(deletionOrder(pods).map((p) => p.metadata.name)).toEqual(['crashy', 'new', 'old']);
  });
});

describe('surge and unavailable arithmetic', () => {
  const cases: [number | string, number | string, number, number, number][] = [
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 1, 1, 0],
    [0, 0, 5, 0, 1],
    ['0%', '0%', 3, 0, 1],
    [1, 0, 3, 1, 0],
    [0, '50%', 3, 0, 1],
    ['100%', '100%', 2, 2, 2],
    [0, 5, 3, 0, 3],
  ];
  for (const [surge, unav, replicas, s, u] of cases) {
    it(`maxSurge ${surge}, maxUnavailable ${unav} of ${replicas} → +${s} / -${u}`, () => {
      expect(surgeAndUnavailable(surge, unav, replicas)).toEqual({ surge: s, unavailable: u });
    });
  }
  it('rejects what is neither a count nor a percentage', () => {
    expect(() => scaledValue('lots', 3, true)).toThrow(/percentage/);
  });
});

describe('template hash', () => {
  it('is stable across key order, differs by template and by collision count, and uses no vowels', () => {
    const a = template();
    const b = { spec: a.spec, metadata: a.metadata };
    expect(templateHash(a)).toBe(templateHash(b));
    expect(templateHash(a)).not.toBe(templateHash(template('busybox:1.37')));
    expect(templateHash(a, 1)).not.toBe(templateHash(a));
    expect(templateHash(a)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
  it('compares templates ignoring the hash label', () => {
    const withHash = template('busybox:1.36', { app: 'web', 'pod-template-hash': 'xyz' });
    expect(sameTemplate(withHash, template(), 'pod-template-hash')).toBe(true);
    expect(sameTemplate(withHash, template('nginx'), 'pod-template-hash')).toBe(false);
  });
});

describe('Expectations', () => {
  it('are met once the expected creates and deletes are observed, or after the timeout', () => {
    let now = 0;
    const e = new Expectations(() => now, 1000);
    expect(e.satisfied('k')).toBe(true);
    e.expect('k', 2, []);
    e.observeCreate('k');
    expect(e.satisfied('k')).toBe(false);
    e.creationFailed('k');
    expect(e.satisfied('k')).toBe(true);
    e.expect('k', 0, ['u1']);
    expect(e.satisfied('k')).toBe(false);
    now = 1001;
    expect(e.satisfied('k')).toBe(true);
    now = 0;
    e.observeDelete('k', 'u1');
    expect(e.satisfied('k')).toBe(true);
  });
});

describe('OwnerIndex', () => {
  it('offers an owner its own dependents and its namespace orphans, following changes of ownership', async () => {
    const { OwnerIndex } = await import('../../src/controllers/owner-index.js');
    const idx = new OwnerIndex();
    const a = pod('a', { owner: mine });
    const b = pod('b');
    const c = pod('c', { owner: { kind: 'ReplicaSet', name: 'x', uid: 'uid-x' } });
    for (const p of [a, b, c]) idx.handle('ADDED', p as any);
    const names = () => idx.candidates('default', rs.metadata.uid).map((p) => p.metadata.name).sort();
    expect(names()).toEqual(['a', 'b']);
    idx.handle('MODIFIED', pod('b', { owner: { kind: 'ReplicaSet', name: 'x', uid: 'uid-x' } }) as any);
    idx.handle('DELETED', a as any);
    expect(names()).toEqual([]);
    expect(idx.candidates('default', 'uid-x').map((p) => p.metadata.name).sort()).toEqual(['b', 'c']);
    expect(idx.candidates('other', rs.metadata.uid)).toEqual([]);
  });
});
