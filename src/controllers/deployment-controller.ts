// The Deployment controller's I/O: informer events to keys, and a reconcile that performs what
// reconcileDeployment (deployment.ts) decides. ReplicaSet writes carry the cached
// resourceVersion, so a decision made on a stale cache fails with a conflict and is made again.
import type { Deployment, ReplicaSet } from '../api/kinds/apps.js';
import type { KObject } from '../api/types.js';
import type { Informer, InformerEvent } from '../client/informer.js';
import { applyClaim } from './claim.js';
import { ReconcileLoop, isNotFound, splitKey, type Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import { reconcileDeployment, type ReplicaSetUpdate } from './deployment.js';
import { revisionAnnotation } from '../api/annotations.js';
import { controllerKey, deploymentsType, keyOf, ownersToSync, podsType, replicaSetsType } from './owners.js';
import { asPod } from './pods.js';
import { sameStatus } from './replicaset.js';
import { statusPatch } from './writes.js';

const asKObject = (o: ReplicaSet | Deployment): KObject => o as unknown as KObject; // the same JSON, typed two ways

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly loop: ReconcileLoop;
  private readonly dInf: Informer;
  private readonly rsInf: Informer;
  private readonly podInf: Informer;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly ctx: ControllerContext) {
    this.dInf = ctx.informers.for(deploymentsType);
    this.rsInf = ctx.informers.for(replicaSetsType);
    this.podInf = ctx.informers.for(podsType);
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
  }

  start(): void {
    this.unsubscribe.push(
      this.dInf.on((_t, obj) => this.loop.enqueue(keyOf(obj))),
      this.rsInf.on((_t, obj, old) => { for (const k of ownersToSync('Deployment', this.dInf, obj, old)) this.loop.enqueue(k); }),
      this.podInf.on((type, obj) => this.onPod(type, obj)),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  /** Only Recreate cares about pods: it waits for the last old pod to go. */
  private onPod(type: InformerEvent, obj: KObject): void {
    if (type !== 'DELETED' && obj.metadata.deletionTimestamp === undefined) return;
    const rsKey = controllerKey('ReplicaSet', this.rsInf, obj);
    if (rsKey === undefined) return;
    const { namespace, name } = splitKey(rsKey);
    const rs = this.rsInf.get(namespace, name);
    const dKey = rs && controllerKey('Deployment', this.dInf, rs);
    if (dKey === undefined) return;
    const d = this.dInf.get(namespace, splitKey(dKey).name) as unknown as Deployment | undefined;
    if (d?.spec.strategy?.type === 'Recreate') this.loop.enqueue(dKey);
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.dInf.get(namespace, name);
    if (!cached) return {};
    const d = cached as unknown as Deployment; // validated by the API server on write
    // A Deployment owns objects of its own namespace only: the rest of the cluster is not read.
    const replicaSets = this.rsInf.list(namespace ?? '') as unknown as ReplicaSet[];
    const pods = d.spec.strategy?.type === 'Recreate' ? this.podInf.list(namespace ?? '').map(asPod) : [];
    const plan = reconcileDeployment({ d, replicaSets, pods, now: this.ctx.now() });
    await applyClaim(this.ctx, replicaSetsType, cached, plan);
    if (plan.create) await this.createReplicaSet(cached, plan.create);
    for (const u of plan.updates) await this.updateReplicaSet(cached, u);
    for (const rs of plan.prune) await this.prune(rs);
    if (plan.revision !== undefined) {
      await this.ctx.api.patch(deploymentsType, namespace, name, { metadata: { annotations: { [revisionAnnotation]: plan.revision } } });
    }
    if (!sameStatus(plan.status, d.status)) await this.ctx.api.patch(deploymentsType, namespace, name, statusPatch(plan.status), 'merge', 'status');
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
  }

  private async createReplicaSet(owner: KObject, rs: ReplicaSet): Promise<void> {
    // AlreadyExists (a name the cache has not seen yet) fails the sync; the next one sees the collision.
    const created = await this.ctx.api.create(replicaSetsType, owner.metadata.namespace, asKObject(rs));
    const n = rs.spec.replicas ?? 0;
    this.ctx.events.record(owner, 'Normal', 'ScalingReplicaSet', n > 0 ? `Scaled up replica set ${created.metadata.name ?? ''} to ${n}` : `Created new replica set ${created.metadata.name ?? ''}`);
  }

  private async updateReplicaSet(owner: KObject, u: ReplicaSetUpdate): Promise<void> {
    const from = u.rs.spec.replicas ?? 0;
    const spec = { replicas: u.replicas, ...(u.minReadySeconds !== undefined ? { minReadySeconds: u.minReadySeconds } : {}) };
    const patch = { metadata: { resourceVersion: u.rs.metadata.resourceVersion, annotations: u.annotations }, spec };
    await this.ctx.api.patch(replicaSetsType, u.rs.metadata.namespace, u.rs.metadata.name ?? '', patch);
    if (from !== u.replicas) {
      const dir = u.replicas > from ? 'up' : 'down';
      this.ctx.events.record(owner, 'Normal', 'ScalingReplicaSet', `Scaled ${dir} replica set ${u.rs.metadata.name ?? ''} to ${u.replicas} from ${from}`);
    }
  }

  private async prune(rs: ReplicaSet): Promise<void> {
    try {
      await this.ctx.api.delete(replicaSetsType, rs.metadata.namespace, rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid ?? '', resourceVersion: rs.metadata.resourceVersion ?? '' } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
