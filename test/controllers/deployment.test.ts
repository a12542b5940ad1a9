import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../src/api/kinds/apps.js';
import { changeCauseAnnotation } from '../../src/api/annotations.js';
import { reconcileDeployment, pruneHistory, type DeploymentPlan } from '../../src/controllers/deployment.js';
import { podTemplateHashLabel, revisionAnnotation } from '../../src/api/annotations.js';
import { newReplicaSetFor, desiredReplicasAnnotation, maxReplicasAnnotation } from '../../src/controllers/deployment-util.js';
import { scaleForEvent } from '../../src/controllers/deployment-rollout.js';
import { T0, deployment, iso, pod, template } from './fixtures.js';

/** A tiny cluster: the Deployment controller's plans applied, and ReplicaSets whose pods become available one sync after they exist. */
class World {
  rss = new Map<string, ReplicaSet>();
  now = T0;
  uid = 0;
  constructor(public d: Deployment) {}

  get list(): ReplicaSet[] { return [...this.rss.values()]; }

  sync(): DeploymentPlan {
    const plan = reconcileDeployment({ d: this.d, replicaSets: this.list, pods: [], now: this.now });
    if (plan.create) {
      const rs = structuredClone(plan.create);
      rs.metadata.uid = `rs-${++this.uid}`;
      rs.metadata.creationTimestamp = iso(this.now + this.uid);
      rs.metadata.generation = 1;
      this.rss.set(rs.metadata.name!, rs);
    }
    for (const u of plan.updates) {
      const rs = this.rss.get(u.rs.metadata.name!)!;
      this.rss.set(rs.metadata.name!, { ...rs, metadata: { ...rs.metadata, annotations: { ...rs.metadata.annotations, ...u.annotations } }, spec: { ...rs.spec, replicas: u.replicas } });
    }
    for (const rs of plan.prune) this.rss.delete(rs.metadata.name!);
    const annotations = plan.revision ? { ...this.d.metadata.annotations, [revisionAnnotation]: plan.revision } : this.d.metadata.annotations;
    this.d = { ...this.d, metadata: { ...this.d.metadata, annotations }, status: plan.status };
    return plan;
  }

  /** The ReplicaSet controllers: pods created last tick are available now; surplus pods go at once. */
  tick(becomeAvailable = true): void {
    for (const [name, rs] of this.rss) {
      const want = rs.spec.replicas ?? 0;
      const prev = rs.status?.replicas ?? 0;
      const available = becomeAvailable ? Math.min(want, prev) : Math.min(want, rs.status?.availableReplicas ?? 0);
      this.rss.set(name, { ...rs, status: { replicas: want, readyReplicas: available, availableReplicas: available, observedGeneration: 1 } });
    }
    this.now += 1000;
  }

  available(): number { return this.list.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0); }
  total(): number { return this.list.reduce((n, rs) => n + Math.max(rs.spec.replicas ?? 0, rs.status?.replicas ?? 0), 0); }
  newRS(): ReplicaSet | undefined { return this.list.find((rs) => rs.spec.template?.spec.containers[0]?.image === this.d.spec.template.spec.containers[0]?.image); }

  /** Runs sync/tick until nothing changes; checks the invariants after each step. */
  settle(check: () => void = () => undefined, max = 100): number {
    for (let i = 0; i < max; i++) {
      const before = JSON.stringify([this.list, this.d.status?.replicas, this.d.status?.availableReplicas]);
      this.sync();
      check();
      this.tick();
      check();
      if (JSON.stringify([this.list, this.d.status?.replicas, this.d.status?.availableReplicas]) === before) return i;
    }
    throw new Error('did not settle');
  }

  setImage(image: string): void {
    this.d = { ...this.d, metadata: { ...this.d.metadata, generation: (this.d.metadata.generation ?? 1) + 1 }, spec: { ...this.d.spec, template: template(image) } };
  }
}

const cond = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type);

describe('reconcileDeployment: a new Deployment', () => {
  it('creates one ReplicaSet named <deploy>-<hash>, labelled and selected by the hash, owned, at revision 1', () => {
    const d = deployment('web', 3);
    const plan = reconcileDeployment({ d, replicaSets: [], pods: [], now: T0 });
    const rs = plan.create!;
    const hash = rs.metadata.labels![podTemplateHashLabel]!;
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', [podTemplateHashLabel]: hash });
    expect(rs.spec.template!.metadata!.labels).toEqual({ app: 'web', [podTemplateHashLabel]: hash });
    expect(rs.spec.replicas).toBe(3);
    expect(rs.metadata.annotations).toMatchObject({ [revisionAnnotation]: '1', [desiredReplicasAnnotation]: '3', [maxReplicasAnnotation]: '4' });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
    expect(plan.revision).toBe('1');
    expect(cond({ ...d, status: plan.status }, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` });
  });

  it('copies the change-cause annotation to the ReplicaSet', () => {
    const d = deployment('web', 1, {}, { annotations: { [changeCauseAnnotation]: 'first' } });
    expect(reconcileDeployment({ d, replicaSets: [], pods: [], now: T0 }).create!.metadata.annotations![changeCauseAnnotation]).toBe('first');
  });

  it('reaches its replicas and reports them with Available and NewReplicaSetAvailable', () => {
    const w = new World(deployment('web', 3));
    w.settle();
    expect(w.d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, observedGeneration: 1 });
    expect(cond(w.d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(cond(w.d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });

  it('adopts a matching orphan ReplicaSet of its template instead of making another', () => {
    const d = deployment('web', 2);
    const orphan = { ...newReplicaSetFor(d, 2, 1), metadata: { ...newReplicaSetFor(d, 2, 1).metadata, ownerReferences: [], uid: 'orphan' } };
    const plan = reconcileDeployment({ d, replicaSets: [orphan], pods: [], now: T0 });
    expect(plan.adopt.map((r) => r.metadata.uid)).toEqual(['orphan']);
    expect(plan.create).toBeUndefined();
  });

  it('counts a name collision (same name, other template) and creates nothing', () => {
    const d = deployment('web', 2);
    const squatter = newReplicaSetFor(d, 1, 1);
    squatter.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'other', uid: 'x', controller: true }];
    squatter.spec.template = template('other-image', { app: 'web' });
    const plan = reconcileDeployment({ d, replicaSets: [squatter], pods: [], now: T0 });
    expect(plan.create).toBeUndefined();
    expect(plan.status.collisionCount).toBe(1);
    const next = reconcileDeployment({ d: { ...d, status: plan.status }, replicaSets: [squatter], pods: [], now: T0 });
    expect(next.create!.metadata.name).not.toBe(squatter.metadata.name);
  });
});

describe('reconcileDeployment: rolling update', () => {
  const cases: { replicas: number; surge: number | string; unavailable: number | string; minAvail: number; maxTotal: number }[] = [
    { replicas: 4, surge: '25%', unavailable: '25%', minAvail: 3, maxTotal: 5 },
    { replicas: 10, surge: '25%', unavailable: '25%', minAvail: 8, maxTotal: 13 },
    { replicas: 3, surge: 0, unavailable: 1, minAvail: 2, maxTotal: 3 },
    { replicas: 3, surge: 1, unavailable: 0, minAvail: 3, maxTotal: 4 },
    { replicas: 5, surge: 0, unavailable: 0, minAvail: 4, maxTotal: 5 },
    { replicas: 1, surge: '25%', unavailable: '25%', minAvail: 1, maxTotal: 2 },
  ];
  for (const c of cases) {
    it(`${c.replicas} replicas, maxSurge ${c.surge}, maxUnavailable ${c.unavailable}: never below ${c.minAvail} available nor above ${c.maxTotal} pods`, () => {
      const w = new World(deployment('web', c.replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: c.surge, maxUnavailable: c.unavailable } } }));
      w.settle();
      const first = w.newRS()!;
      w.setImage('busybox:1.37');
      const steps = w.settle(() => {
        expect(w.available()).toBeGreaterThanOrEqual(c.minAvail);
        expect(w.total()).toBeLessThanOrEqual(c.maxTotal);
      });
      expect(steps).toBeGreaterThan(1);
      const second = w.newRS()!;
      expect(second.metadata.name).not.toBe(first.metadata.name);
      expect(second.spec.replicas).toBe(c.replicas);
      expect(w.rss.get(first.metadata.name!)!.spec.replicas).toBe(0);
      expect(second.metadata.annotations![revisionAnnotation]).toBe('2');
      expect(w.d.metadata.annotations![revisionAnnotation]).toBe('2');
      expect(w.d.status).toMatchObject({ replicas: c.replicas, updatedReplicas: c.replicas, availableReplicas: c.replicas });
      expect(cond(w.d, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    });
  }

  it('walks 4 replicas at 25%/25% step by step: surge one, take one old down, ...', () => {
    const w = new World(deployment('web', 4));
    w.settle();
    const oldName = w.newRS()!.metadata.name!;
    w.setImage('busybox:1.37');
    const plan = w.sync();
    expect(plan.create!.spec.replicas).toBe(1);
    expect(plan.updates).toEqual([expect.objectContaining({ replicas: 3, rs: expect.objectContaining({ metadata: expect.objectContaining({ name: oldName }) }) })]);
    expect(cond(w.d, 'Progressing')?.reason).toBe('NewReplicaSetCreated');
  });

  it('stops taking old pods down while new ones do not become available', () => {
    const w = new World(deployment('web', 4));
    w.settle();
    w.setImage('broken:1');
    for (let i = 0; i < 10; i++) { w.sync(); w.tick(false); }
    expect(w.available()).toBe(3);
    expect(w.d.status).toMatchObject({ availableReplicas: 3, updatedReplicas: 2 });
  });

  it('reports ProgressDeadlineExceeded when no progress is made within progressDeadlineSeconds', () => {
    const w = new World(deployment('web', 2, { progressDeadlineSeconds: 30 }));
    w.settle();
    w.setImage('broken:1');
    for (let i = 0; i < 5; i++) { w.sync(); w.tick(false); }
    expect(cond(w.d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    w.now += 60_000;
    w.sync();
    expect(cond(w.d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });
});

describe('reconcileDeployment: Recreate', () => {
  it('scales the old ReplicaSet to zero, waits for its pods, then creates the new one at full size', () => {
    const w = new World(deployment('web', 3, { strategy: { type: 'Recreate' } }));
    w.settle();
    const old = w.newRS()!;
    w.setImage('busybox:1.37');
    const down = w.sync();
    expect(down.create).toBeUndefined();
    expect(down.updates.map((u) => u.replicas)).toEqual([0]);
    // Its pods are still terminating: nothing new yet.
    const rsNow = w.rss.get(old.metadata.name!)!;
    const terminating = pod('old-1', { owner: { kind: 'ReplicaSet', name: rsNow.metadata.name!, uid: rsNow.metadata.uid! }, phase: 'Running', deleting: true });
    w.tick();
    expect(reconcileDeployment({ d: w.d, replicaSets: w.list, pods: [terminating], now: w.now }).create).toBeUndefined();
    const up = w.sync();
    expect(up.create!.spec.replicas).toBe(3);
    w.settle(() => expect(w.list.filter((rs) => (rs.spec.replicas ?? 0) > 0).length).toBeLessThanOrEqual(1));
    expect(w.d.status).toMatchObject({ availableReplicas: 3, updatedReplicas: 3 });
  });
});

describe('reconcileDeployment: scaling', () => {
  it('scales the only ReplicaSet when spec.replicas changes, and records the new size', () => {
    const w = new World(deployment('web', 3));
    w.settle();
    w.d = { ...w.d, spec: { ...w.d.spec, replicas: 5 } };
    const plan = w.sync();
    expect(plan.updates.map((u) => [u.replicas, u.annotations[desiredReplicasAnnotation]])).toEqual([[5, '5']]);
    w.settle();
    expect(w.d.status).toMatchObject({ replicas: 5, availableReplicas: 5 });
    w.d = { ...w.d, spec: { ...w.d.spec, replicas: 1 } };
    w.settle();
    expect(w.d.status).toMatchObject({ replicas: 1, availableReplicas: 1 });
  });

  it('spreads a scale-up over the ReplicaSets of a rollout in proportion to their sizes', () => {
    const d = deployment('web', 20, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    const annotated = (name: string, replicas: number, created: number): ReplicaSet => ({
      ...newReplicaSetFor(deployment('web', 10), replicas, 1),
      metadata: { name, namespace: 'default', uid: name, creationTimestamp: iso(created), annotations: { [desiredReplicasAnnotation]: '10', [maxReplicasAnnotation]: '13' } },
    });
    const scales = scaleForEvent(d, annotated('new', 8, T0 + 1), [annotated('old', 5, T0)]);
    const sizes = Object.fromEntries(scales.map((s) => [s.rs.metadata.name, s.replicas]));
    expect(sizes.new! + sizes.old!).toBe(23);
    expect(sizes.new).toBeGreaterThan(sizes.old!);
  });
});

describe('reconcileDeployment: history, rollback, pause', () => {
  it('keeps revisionHistoryLimit old empty ReplicaSets and prunes the oldest revisions', () => {
    const w = new World(deployment('web', 1, { revisionHistoryLimit: 2 }));
    w.settle();
    for (const v of ['1.37', '1.38', '1.39', '1.40']) { w.setImage(`busybox:${v}`); w.settle(); }
    const revisions = w.list.map((rs) => Number(rs.metadata.annotations![revisionAnnotation])).sort();
    expect(revisions).toEqual([3, 4, 5]);
  });

  it('pruneHistory skips ReplicaSets that still have pods', () => {
    const d = deployment('web', 1, { revisionHistoryLimit: 0 });
    const busy = { ...newReplicaSetFor(d, 0, 1), status: { replicas: 1 } };
    expect(pruneHistory(d, [busy])).toEqual([]);
  });

  it('rolls back: an old template in the Deployment makes its old ReplicaSet the new one, at the next revision', () => {
    const w = new World(deployment('web', 2));
    w.settle();
    w.setImage('busybox:1.37');
    w.settle();
    const first = w.list.find((rs) => rs.metadata.annotations![revisionAnnotation] === '1')!;
    w.setImage('busybox:1.36');
    w.settle();
    expect(w.list).toHaveLength(2);
    const back = w.rss.get(first.metadata.name!)!;
    expect(back.spec.replicas).toBe(2);
    expect(back.metadata.annotations).toMatchObject({ [revisionAnnotation]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(w.d.metadata.annotations![revisionAnnotation]).toBe('3');
  });

  it('does not roll out while paused, and says so', () => {
    const w = new World(deployment('web', 2));
    w.settle();
    w.d = { ...w.d, spec: { ...w.d.spec, paused: true } };
    w.setImage('busybox:1.37');
    const plan = w.sync();
    expect(plan.create).toBeUndefined();
    expect(plan.updates).toEqual([]);
    expect(cond(w.d, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    w.d = { ...w.d, spec: { ...w.d.spec, paused: false } };
    w.sync();
    expect(cond(w.d, 'Progressing')).toMatchObject({ reason: 'DeploymentResumed' });
    w.settle();
    expect(w.newRS()!.spec.replicas).toBe(2);
  });

  it('still scales while paused', () => {
    const w = new World(deployment('web', 2));
    w.settle();
    w.d = { ...w.d, spec: { ...w.d.spec, paused: true, replicas: 4 } };
    expect(w.sync().updates.map((u) => u.replicas)).toEqual([4]);
  });
});

describe('reconcileDeployment: the current ReplicaSet follows the Deployment', () => {
  it('takes over a change-cause set later and a new minReadySeconds', () => {
    const w = new World(deployment('web', 2));
    w.settle();
    w.d = { ...w.d, metadata: { ...w.d.metadata, annotations: { ...w.d.metadata.annotations, [changeCauseAnnotation]: 'noted later' } }, spec: { ...w.d.spec, minReadySeconds: 7 } };
    const plan = w.sync();
    expect(plan.updates).toHaveLength(1);
    expect(plan.updates[0]).toMatchObject({ replicas: 2, minReadySeconds: 7, annotations: { [changeCauseAnnotation]: 'noted later' } });
    w.tick();
    w.rss.forEach((rs, name) => w.rss.set(name, { ...rs, spec: { ...rs.spec, minReadySeconds: 7 } }));
    expect(w.sync().updates).toEqual([]);
  });
});

describe('reconcileDeployment: ReplicaFailure', () => {
  it('surfaces a ReplicaSet that cannot create pods, and clears it once it can', () => {
    const w = new World(deployment('web', 2));
    w.sync();
    const [name, rs] = [...w.rss.entries()][0]!;
    w.rss.set(name, { ...rs, status: { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: namespace is terminating' }] } });
    w.sync();
    expect(cond(w.d, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: namespace is terminating' });
    w.tick();
    w.sync();
    expect(cond(w.d, 'ReplicaFailure')).toBeUndefined();
  });
});
