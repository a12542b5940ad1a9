// The node lifecycle controller: turns a node's Ready condition (which the node gateway sets
// to Unknown when the node's MQTT presence is lost) and its cordon into taints, marks the pods
// of an unreachable node not ready, evicts pods from NoExecute-tainted nodes once their
// toleration runs out, and (with a cloud provider) deletes nodes whose device left the fleet.
// Decisions are the pure functions in taints.ts, eviction.ts and cloud/provider.ts.
import type { Taint } from '../api/kinds/node.js';
import type { KObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { objectKey } from '../client/informer.js';
import { CloudNodeRemoval } from './cloud/node-removal.js';
import type { ControllerConfig } from './config.js';
import { isNotFound, ReconcileLoop, splitKey, type Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import { evictionDecision, isActivePod, notReadyConditions, type EvictionDecision } from './eviction.js';
import type { ControllerFactory } from './manager.js';
import { nodesType, podsType } from './owners.js';
import { nodeReady, nodeTaints, reconcileTaints, taintChangeEvents, unreachableTaintKey, wantedTaints, type ReadyStatus } from './taints.js';

/**
 * What one reconcile of a registered node saw and decided. Tests wait for it instead of
 * sleeping: "nothing was evicted" then means the controller looked at that time and chose so.
 */
export interface NodeReconcileReport {
  node: string;
  /** The controller's clock when it decided. */
  now: number;
  ready: ReadyStatus;
  /** Each active pod on the node ("namespace/name") and the taint manager's decision for it. */
  pods: Record<string, EvictionDecision>;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nodeNameOf(pod: KObject): string | undefined {
  const n = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  return n === undefined || n === '' ? undefined : n;
}

/** Only what this controller decides on: heartbeats and usage readings do not wake it. */
function relevantChange(old: KObject, obj: KObject): boolean {
  const unsched = (n: KObject): boolean => (n.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
  return nodeReady(old) !== nodeReady(obj) || unsched(old) !== unsched(obj) || JSON.stringify(nodeTaints(old)) !== JSON.stringify(nodeTaints(obj));
}

function minDefined(...xs: (number | undefined)[]): number | undefined {
  const ds = xs.filter((x): x is number => x !== undefined);
  return ds.length === 0 ? undefined : Math.min(...ds);
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly loop: ReconcileLoop;
  private readonly nodes: Informer;
  private readonly pods: Informer;
  /** node name → keys of the pods bound to it (so a reconcile does not scan every pod). */
  private readonly podsByNode = new Map<string, Set<string>>();
  /** Nodes seen deleted whose pods are still to be removed (Kubernetes' pod GC of orphaned pods). */
  private readonly deletedNodes = new Set<string>();
  private readonly cloud: CloudNodeRemoval;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly observers = new Set<(r: NodeReconcileReport) => void>();

  constructor(private readonly ctx: ControllerContext, private readonly config: ControllerConfig) {
    this.nodes = ctx.informers.for(nodesType);
    this.pods = ctx.informers.for(podsType);
    this.cloud = new CloudNodeRemoval(ctx, config);
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
  }

  start(): void {
    this.unsubscribe.push(this.nodes.on((type, obj, old) => {
      const name = obj.metadata.name ?? '';
      if (type === 'DELETED') this.deletedNodes.add(name);
      else this.deletedNodes.delete(name);
      if (type === 'DELETED' || old === undefined || relevantChange(old, obj)) this.loop.enqueue(objectKey(obj));
    }));
    this.unsubscribe.push(this.pods.on((type, obj, old) => this.onPod(type, obj, old)));
    this.loop.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  /** Calls `fn` after each reconcile of a registered node that ran to its end; returns the unsubscribe. */
  onReconciled(fn: (r: NodeReconcileReport) => void): () => void {
    this.observers.add(fn);
    return () => { this.observers.delete(fn); };
  }

  private onPod(type: string, obj: KObject, old: KObject | undefined): void {
    const key = objectKey(obj);
    const before = old ? nodeNameOf(old) : undefined;
    const after = type === 'DELETED' ? undefined : nodeNameOf(obj);
    if (before !== undefined && before !== after) this.podsByNode.get(before)?.delete(key);
    if (after === undefined) return;
    let set = this.podsByNode.get(after);
    if (!set) this.podsByNode.set(after, set = new Set());
    set.add(key);
    // A pod newly bound to a node that is not Ready needs a decision; a pod on a healthy node does not.
    const node = this.nodes.get(undefined, after);
    if (node && (nodeReady(node) !== 'True' || nodeTaints(node).some((t) => t.effect === 'NoExecute'))) this.loop.enqueue(`/${after}`);
  }

  private podsOn(node: string): KObject[] {
    const keys = this.podsByNode.get(node) ?? new Set<string>();
    const out: KObject[] = [];
    for (const k of keys) {
      const { namespace, name } = splitKey(k);
      const pod = this.pods.get(namespace, name);
      if (pod && nodeNameOf(pod) === node) out.push(pod);
    }
    return out;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { name } = splitKey(key);
    const node = this.nodes.get(undefined, name);
    if (!node) { await this.removeOrphans(name); return {}; }
    const now = this.ctx.now();
    const cloud = await this.cloud.check(node, this.podsOn(name), now);
    if (cloud === 'deleted') return {};
    const taints = await this.syncTaints(node, now);
    const pods = this.podsOn(name).filter(isActivePod);
    if (nodeReady(node) === 'Unknown' && await this.stillUnknown(name)) await this.markPodsNotReady(name, pods, now);
    const decisions = await this.evictPods(node, taints, pods, now);
    const report: NodeReconcileReport = { node: name, now, ready: nodeReady(node), pods: decisions };
    for (const fn of this.observers) fn(report);
    const evictWait = minDefined(...Object.values(decisions).map((d) => (d.action === 'wait' ? d.afterMs : undefined)));
    const next = minDefined(evictWait, cloud);
    return next === undefined ? {} : { requeueAfterMs: next };
  }

  /**
   * A deleted Node's pods have nowhere to run and nobody to confirm their end: removed at once,
   * so their controllers replace them. Only for a node seen deleted, never for a name no node
   * has had yet (a pod may be bound before its node registers).
   */
  private async removeOrphans(name: string): Promise<void> {
    this.cloud.forget(name);
    if (this.deletedNodes.has(name)) {
      for (const pod of this.podsOn(name)) {
        this.ctx.logger.info({ node: name, pod: objectKey(pod) }, 'deleting a pod of a deleted node');
        await this.deletePod(pod, { gracePeriodSeconds: 0 });
      }
      this.deletedNodes.delete(name);
    }
    this.podsByNode.delete(name);
  }

  /** Writes the managed taints; returns the node's taints as they now are. */
  private async syncTaints(node: KObject, now: number): Promise<Taint[]> {
    const current = nodeTaints(node);
    const ready = nodeReady(node);
    const unschedulable = (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
    const next = reconcileTaints(current, wantedTaints(ready, unschedulable), timestamp(now));
    if (next === undefined) return current;
    const spec: Record<string, unknown> = { ...(node.spec as Record<string, unknown> | undefined), taints: next };
    if (next.length === 0) delete spec.taints;
    // The cached resourceVersion is a precondition: a node changed meanwhile comes back through the informer.
    await this.ctx.api.update(nodesType, undefined, { ...node, spec });
    for (const e of taintChangeEvents(node.metadata.name ?? '', current, next, ready)) this.ctx.events.record(node, 'Normal', e.reason, e.message);
    return next;
  }

  /**
   * The cache may lag a node that just came back; its agent then re-reports its pods as Ready
   * and marking them not-ready from the stale view would undo that until the next change.
   * One live read settles it.
   */
  private async stillUnknown(name: string): Promise<boolean> {
    try {
      return nodeReady(await this.ctx.api.get(nodesType, undefined, name)) === 'Unknown';
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Kubernetes' MarkPodsNotReady: nobody vouches for these pods any more, so Endpoints drop them. */
  private async markPodsNotReady(node: string, pods: readonly KObject[], now: number): Promise<void> {
    for (const pod of pods) {
      const conditions = notReadyConditions(pod, timestamp(now), node);
      if (!conditions) continue;
      try {
        await this.ctx.api.patch(podsType, pod.metadata.namespace, pod.metadata.name ?? '', { metadata: { resourceVersion: pod.metadata.resourceVersion }, status: { conditions } }, 'merge', 'status');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /**
   * Evicts the pods whose toleration ran out; returns the decision for each pod. On an unreachable
   * node nobody can confirm a graceful stop, so the pods are removed at once (Kubernetes leaves
   * them Terminating until the node returns): when the device comes back it gets its full desired
   * state and stops what is no longer in it, and meanwhile the replacements are not held up.
   */
  private async evictPods(nodeObj: KObject, taints: readonly Taint[], pods: readonly KObject[], now: number): Promise<Record<string, EvictionDecision>> {
    const node = nodeObj.metadata.name ?? '';
    const grace = nodeReady(nodeObj) === 'Unknown' ? { gracePeriodSeconds: 0 } : {};
    const decisions: Record<string, EvictionDecision> = {};
    for (const pod of pods) {
      const d = evictionDecision(pod, taints, now, this.config.podEvictionTimeoutSeconds);
      decisions[objectKey(pod)] = d;
      if (d.action !== 'evict') continue;
      const what = d.taint.key === unreachableTaintKey ? 'unreachable' : `tainted ${d.taint.key}:${d.taint.effect}`;
      this.ctx.logger.info({ node, pod: objectKey(pod), taint: d.taint.key }, 'evicting pod');
      this.ctx.events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${objectKey(pod).replace(/^\//, '')}: node ${node} is ${what}`);
      await this.deletePod(pod, grace);
    }
    return decisions;
  }

  private async deletePod(pod: KObject, opts: { gracePeriodSeconds?: number }): Promise<void> {
    try {
      await this.ctx.api.delete(podsType, pod.metadata.namespace, pod.metadata.name ?? '', { ...opts, ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}) });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const nodeLifecycleController: ControllerFactory = {
  name: 'node-lifecycle',
  make: (ctx, config) => new NodeLifecycleController(ctx, config),
};
