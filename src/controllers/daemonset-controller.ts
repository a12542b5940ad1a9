// The DaemonSet controller's I/O: informer events (DaemonSets, their pods, nodes) to keys, and a
// reconcile that performs what reconcileDaemonSet (daemonset.ts) decides.
import type { DaemonSet } from '../api/kinds/apps.js';
import type { Node } from '../api/kinds/node.js';
import type { KObject } from '../api/types.js';
import type { Informer, InformerEvent } from '../client/informer.js';
import { applyClaim } from './claim.js';
import { ReconcileLoop, splitKey, type Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import { daemonPodFor } from './daemonset-pods.js';
import { reconcileDaemonSet, type DaemonSetPlan } from './daemonset.js';
import { sameJson, sameStringMap } from './compare.js';
import { Expectations } from './expectations.js';
import { OwnerIndex } from './owner-index.js';
import { daemonSetsType, errorMessage, keyOf, nodesType, podsType, watchOwnedPods } from './owners.js';
import { asPod } from './pods.js';
import { sameStatus } from './replicaset.js';
import { deleteOwnedPod, PodWriteError, slowStart, statusPatch } from './writes.js';

const failedBackoffBaseMs = 1000;
const failedBackoffMaxMs = 15 * 60_000;

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly loop: ReconcileLoop;
  private readonly expectations: Expectations;
  private readonly dsInf: Informer;
  private readonly podInf: Informer;
  private readonly nodeInf: Informer;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pods = new OwnerIndex();
  /** Per DaemonSet and node: when failed pods may be replaced again, and the delay used last. */
  private readonly backoff = new Map<string, { until: number; delayMs: number }>();

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.now);
    this.dsInf = ctx.informers.for(daemonSetsType);
    this.podInf = ctx.informers.for(podsType);
    this.nodeInf = ctx.informers.for(nodesType);
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
  }

  start(): void {
    this.unsubscribe.push(
      ...watchOwnedPods({
        kind: 'DaemonSet', owners: this.dsInf, pods: this.podInf, index: this.pods, expectations: this.expectations, enqueue: (k) => this.loop.enqueue(k),
      }),
      this.nodeInf.on((type, obj, old) => this.onNode(type, obj, old)),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  /** Heartbeats change node status every few seconds; only labels, taints and cordon (or the node coming or going) matter here. */
  private onNode(type: InformerEvent, obj: KObject, old: KObject | undefined): void {
    if (type === 'MODIFIED' && old && sameStringMap(old.metadata.labels, obj.metadata.labels) && sameJson(old.spec, obj.spec)) return;
    for (const ds of this.dsInf.items.values()) this.loop.enqueue(keyOf(ds));
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.dsInf.get(namespace, name);
    if (!cached) {
      this.expectations.forget(key);
      for (const id of [...this.backoff.keys()]) if (id.startsWith(`${key}|`)) this.backoff.delete(id);
      return {};
    }
    const ds = cached as unknown as DaemonSet; // validated by the API server on write
    const pods = this.pods.candidates(namespace, cached.metadata.uid).map(asPod);
    const nodes = this.nodeInf.list() as unknown as Node[];
    const now = this.ctx.now();
    const backoffNodes = new Set(nodes.map((n) => n.metadata.name ?? '').filter((n) => (this.backoff.get(`${key}|${n}`)?.until ?? 0) > now));
    const plan = reconcileDaemonSet({ ds, nodes, pods, now, expectationsSatisfied: this.expectations.satisfied(key), backoffNodes });
    for (const n of plan.replacingFailed) this.backOff(`${key}|${n}`, now);
    await applyClaim(this.ctx, podsType, cached, plan);
    const error = await this.manage(cached, ds, key, plan);
    if (!sameStatus(plan.status, ds.status)) await this.ctx.api.patch(daemonSetsType, namespace, name, statusPatch(plan.status), 'merge', 'status');
    if (error) throw error;
    const waits = [plan.requeueAfterMs, plan.backedOff ? failedBackoffBaseMs : undefined].filter((x): x is number => x !== undefined);
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : {};
  }

  /** Kubernetes' failed-pod back-off: 1 s, doubling to 15 min, per node. */
  private backOff(id: string, now: number): void {
    const prev = this.backoff.get(id);
    const delayMs = prev && now - prev.until < failedBackoffMaxMs ? Math.min(prev.delayMs * 2, failedBackoffMaxMs) : failedBackoffBaseMs;
    this.backoff.set(id, { until: now + delayMs, delayMs });
  }

  private async manage(owner: KObject, ds: DaemonSet, key: string, plan: DaemonSetPlan): Promise<PodWriteError | undefined> {
    const deletes = [...new Set(plan.delete)];
    if (plan.create.length === 0 && deletes.length === 0) return undefined;
    this.expectations.expect(key, plan.create.length, deletes.map((p) => p.metadata.uid ?? ''));
    const nodes = [...plan.create];
    const createError = await slowStart(nodes.length, async () => {
      const node = nodes.shift() ?? '';
      const pod = await this.ctx.api.create(podsType, owner.metadata.namespace, daemonPodFor(ds, plan.hash, node) as unknown as KObject);
      this.ctx.events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
    }, (err) => {
      this.expectations.creationFailed(key);
      this.ctx.events.record(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
    }, () => this.expectations.creationFailed(key));
    const deleteErrors = await Promise.all(deletes.map((p) => deleteOwnedPod(this.ctx, this.expectations, owner, key, p)));
    return createError ?? deleteErrors.find((e) => e !== undefined);
  }
}
