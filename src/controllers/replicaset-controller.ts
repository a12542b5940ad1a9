// The ReplicaSet controller's I/O: informer events to keys, and a reconcile that performs what
// reconcileReplicaSet (replicaset.ts) decides — adopt/release, creates in slow-start batches,
// deletes, Events, and the status write.
import type { ReplicaSet } from '../api/kinds/apps.js';
import type { KObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { applyClaim } from './claim.js';
import { ReconcileLoop, splitKey, type Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import { Expectations } from './expectations.js';
import { OwnerIndex } from './owner-index.js';
import { errorMessage, podsType, replicaSetsType, watchOwnedPods } from './owners.js';
import { asPod, podFromTemplate } from './pods.js';
import { reconcileReplicaSet, sameStatus, type ReplicaSetPlan } from './replicaset.js';
import { deleteOwnedPod, slowStart, statusPatch, PodWriteError } from './writes.js';

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly loop: ReconcileLoop;
  private readonly expectations: Expectations;
  private readonly rsInf: Informer;
  private readonly podInf: Informer;
  private readonly failures = new Map<string, { reason: string; message: string }>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pods = new OwnerIndex();

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    this.rsInf = ctx.informers.for(replicaSetsType);
    this.podInf = ctx.informers.for(podsType);
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
  }

  start(): void {
    this.unsubscribe.push(...watchOwnedPods({
      kind: 'ReplicaSet', owners: this.rsInf, pods: this.podInf, index: this.pods, expectations: this.expectations, enqueue: (k) => this.loop.enqueue(k),
    }));
    this.loop.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.rsInf.get(namespace, name);
    if (!cached) { this.expectations.forget(key); this.failures.delete(key); return {}; }
    const rs = cached as unknown as ReplicaSet; // validated by the API server on write
    const pods = this.pods.candidates(namespace, cached.metadata.uid).map(asPod);
    const input = { rs, pods, now: this.ctx.now(), expectationsSatisfied: this.expectations.satisfied(key) };
    const plan = reconcileReplicaSet({ ...input, ...this.failureOf(key) });
    await applyClaim(this.ctx, podsType, cached, plan);
    let error: PodWriteError | undefined;
    if (plan.create > 0 || plan.delete.length > 0) {
      error = await this.manage(cached, rs, key, plan);
      if (error) this.failures.set(key, { reason: error.reason, message: error.message });
      else this.failures.delete(key);
    }
    const status = error ? reconcileReplicaSet({ ...input, expectationsSatisfied: false, failure: { reason: error.reason, message: error.message } }).status : plan.status;
    if (!sameStatus(status, rs.status)) await this.ctx.api.patch(replicaSetsType, namespace, name, statusPatch(status), 'merge', 'status');
    if (error) throw error;
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
  }

  private failureOf(key: string): { failure?: { reason: string; message: string } } {
    const f = this.failures.get(key);
    return f ? { failure: f } : {};
  }

  private async manage(owner: KObject, rs: ReplicaSet, key: string, plan: ReplicaSetPlan): Promise<PodWriteError | undefined> {
    const ns = owner.metadata.namespace;
    if (plan.create > 0) {
      const template = rs.spec.template;
      if (!template) return new PodWriteError('FailedCreate', 'the ReplicaSet has no pod template');
      this.expectations.expect(key, plan.create, []);
      return await slowStart(plan.create, async () => {
        const pod = await this.ctx.api.create(podsType, ns, podFromTemplate(owner, template, `${rs.metadata.name ?? ''}-`) as unknown as KObject);
        this.ctx.events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
      }, (err) => {
        this.expectations.creationFailed(key);
        this.ctx.events.record(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      }, () => this.expectations.creationFailed(key));
    }
    this.expectations.expect(key, 0, plan.delete.map((p) => p.metadata.uid ?? ''));
    const results = await Promise.all(plan.delete.map((p) => deleteOwnedPod(this.ctx, this.expectations, owner, key, p)));
    return results.find((e) => e !== undefined);
  }
}
