// The scheduler component: informer events feed the queue and the cache; one loop takes the
// most important pending pod, decides on a snapshot of the cache (a pure function), assumes the
// pod on its node and binds it through the API in the background, or records why it fits nowhere
// and, if it outranks pods somewhere, preempts them.
import type { Node, Pod } from '../api/schemas.js';
import type { ApiInterface } from '../client/api.js';
import type { EventRecorder } from '../client/events.js';
import type { Informer, InformerEvent, SharedInformers } from '../client/informer.js';
import type { Logger } from '../log/logger.js';
import { bindPod, markUnschedulable, nodesType, podsType, preempt, recordScheduled } from './actions.js';
import { SchedulerCache } from './cache.js';
import { schedulerConfig, type SchedulerConfig } from './config.js';
import { decide, nodesToFind, unschedulableMessage } from './decide.js';
import { holdsResources, podInfo, podKey } from './node-info.js';
import { Limiter } from './limiter.js';
import { findPreemption } from './preemption.js';
import { SchedulingQueue } from './queue.js';
import type { PodInfo, SchedulingContext } from './types.js';

export interface SchedulerOptions {
  api: ApiInterface;
  informers: SharedInformers;
  events: EventRecorder;
  logger: Logger;
  config?: Partial<SchedulerConfig>;
  now?: () => number;
}

/** Pods scheduled between two yields to the event loop (informer events must get through). */
const batch = 32;
/** Bindings in flight at once; the loop waits for a free slot beyond (see limiter.ts). */
const maxBinds = 128;
/** Scheduled Events written at once, and waiting at most; past that they are dropped. */
const maxEventWrites = 8;
const maxEventsQueued = 20_000;

const terminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** What the filters read from a Node: a change here may let an unschedulable pod fit. */
function nodeShape(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([n.metadata.labels, n.spec?.unschedulable, n.spec?.taints, n.status?.allocatable, ready]);
}

export class Scheduler {
  readonly config: SchedulerConfig;
  readonly queue: SchedulingQueue;
  readonly cache = new SchedulerCache();
  private readonly now: () => number;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  /** Pending pods nominated to a node by a preemption: their room is kept for them. */
  private readonly nominated = new Map<string, PodInfo>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly binds = new Limiter(maxBinds);
  private readonly scheduledEvents = new Limiter(maxEventWrites, maxEventsQueued);
  private readonly unsubscribe: (() => void)[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private rotate = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.config = schedulerConfig(opts.config);
    this.now = opts.now ?? Date.now;
    this.queue = new SchedulingQueue({ now: this.now, ...this.config });
    this.pods = opts.informers.for(podsType);
    this.nodes = opts.informers.for(nodesType);
  }

  /** Resolves once the informers have listed and the loop runs. The caller starts the informers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe.push(this.nodes.on((t, o, old) => this.onNode(t, o as Node, old as Node | undefined)));
    this.unsubscribe.push(this.pods.on((t, o, old) => this.onPod(t, o as Pod, old as Pod | undefined)));
    await Promise.all([this.nodes.synced, this.pods.synced]);
    this.loop = this.run();
    this.opts.logger.info({ scoring: this.config.scoring, nodes: this.cache.nodeCount }, 'scheduler started');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.binds.idle();
    await this.scheduledEvents.idle();
    await Promise.all([...this.inflight]);
    for (const u of this.unsubscribe.splice(0)) u();
    await this.opts.events.flush();
  }

  // ---- informer events ------------------------------------------------------------------

  private onNode(type: InformerEvent, node: Node, old: Node | undefined): void {
    if (type === 'DELETED') { this.cache.removeNode(node.metadata.name ?? ''); return; }
    this.cache.setNode(node);
    if (type === 'ADDED' || !old || nodeShape(old) !== nodeShape(node)) this.clusterChanged();
  }

  private onPod(type: InformerEvent, pod: Pod, old: Pod | undefined): void {
    const key = podKey(pod);
    if (type === 'DELETED') {
      this.cache.removePod(key);
      this.queue.delete(key);
      this.nominated.delete(key);
      if (holdsResources(pod)) this.clusterChanged();
      return;
    }
    this.cache.setPod(pod);
    if (pod.spec.nodeName) {
      this.queue.delete(key);
      this.nominated.delete(key);
      if (terminal(pod) && old && !terminal(old)) this.clusterChanged();
      return;
    }
    this.trackNomination(key, pod);
    if (!this.isOurs(pod) || this.cache.isAssumed(key)) return;
    if (pod.metadata.deletionTimestamp !== undefined || terminal(pod)) { this.queue.delete(key); return; }
    // Our own status writes come back as updates: they keep the pod's place in the queue.
    const sameShape = old && old.metadata.generation === pod.metadata.generation && JSON.stringify(old.metadata.labels) === JSON.stringify(pod.metadata.labels);
    if (sameShape && this.queue.has(key)) this.queue.update(pod);
    else this.queue.add(pod);
    this.wake();
  }

  private trackNomination(key: string, pod: Pod): void {
    if (pod.status?.nominatedNodeName) this.nominated.set(key, podInfo(pod));
    else this.nominated.delete(key);
  }

  private isOurs(pod: Pod): boolean {
    const name = pod.spec.schedulerName;
    return name === undefined || name === '' || name === this.config.schedulerName;
  }

  private clusterChanged(): void {
    this.queue.moveAllUnschedulable();
    this.wake();
  }

  // ---- the loop -------------------------------------------------------------------------

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    let n = 0;
    while (this.running) {
      if (this.binds.full) await this.binds.slot();
      const pod = this.queue.pop();
      if (!pod) { await this.idle(); continue; }
      try {
        this.scheduleOne(pod);
      } catch (err) {
        this.opts.logger.error({ err, pod: podKey(pod) }, 'scheduling failed');
        this.queue.retryLater(pod);
      }
      if (++n % batch === 0) await new Promise((r) => setImmediate(r));
    }
  }

  /** Sleeps until a pod is added, the cluster changes, or the next back-off ends. */
  private async idle(): Promise<void> {
    const ms = this.queue.nextWakeIn();
    await new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms + 1);
      this.wakeUp = () => { if (timer) clearTimeout(timer); resolve(); };
    });
  }

  private context(): SchedulingContext {
    return { now: this.now(), config: this.config };
  }

  /** One scheduling cycle: synchronous up to the API writes, so the cache is a consistent snapshot. */
  scheduleOne(queued: Pod): void {
    const pod = (this.pods.get(queued.metadata.namespace, queued.metadata.name ?? '') as Pod | undefined) ?? queued;
    const key = podKey(pod);
    if (pod.spec.nodeName || pod.metadata.deletionTimestamp !== undefined || this.cache.isAssumed(key) || pod.metadata.uid !== queued.metadata.uid) return;
    const info = podInfo(pod);
    const nodes = this.cache.nodeInfos();
    const ctx = this.context();
    const d = decide(info, nodes, ctx, {
      start: this.rotate++,
      enough: nodesToFind(nodes.length, this.config.percentageOfNodesToScore),
      ...(this.nominated.size > 0 ? { nominated: [...this.nominated.values()] } : {}),
    });
    if (d.fit) {
      this.cache.assume(pod, d.node);
      this.binds.run(() => this.bind(pod, d.node));
      return;
    }
    const message = unschedulableMessage(d.total, d.reasons);
    this.opts.logger.debug({ pod: key, message }, 'pod is unschedulable');
    this.queue.unschedulableAgain(pod);
    const preemption = this.config.preemption && this.mayPreempt(info) ? findPreemption(info, nodes, d.failures, ctx) : undefined;
    if (preemption) {
      this.nominated.set(key, podInfo({ ...pod, status: { ...pod.status, nominatedNodeName: preemption.node } }));
      this.track(preempt(this.opts.api, this.opts.events, pod, preemption).then(() => {
        this.opts.logger.info({ pod: key, node: preemption.node, victims: preemption.victims.map((v) => v.key) }, 'preempted lower-priority pods');
      }));
    }
    this.track(markUnschedulable(this.opts.api, this.opts.events, pod, message, ctx.now));
  }

  /**
   * A pod whose earlier preemption is still under way (victims terminating on its nominated node)
   * waits for it instead of evicting more (Kubernetes' rule).
   */
  private mayPreempt(p: PodInfo): boolean {
    const nominated = p.pod.status?.nominatedNodeName;
    if (!nominated) return true;
    const ni = this.cache.node(nominated);
    if (!ni) return true;
    for (const q of ni.pods.values()) if (q.priority < p.priority && q.pod.metadata.deletionTimestamp !== undefined) return false;
    return true;
  }

  private async bind(pod: Pod, node: string): Promise<void> {
    const key = podKey(pod);
    try {
      await bindPod(this.opts.api, pod, node);
      this.queue.forget(key);
      if (!this.scheduledEvents.run(() => recordScheduled(this.opts.events, pod, node)) && this.scheduledEvents.dropped === 1) {
        this.opts.logger.warn({ queued: maxEventsQueued }, 'too many Scheduled Events waiting to be written; dropping some');
      }
    } catch (err) {
      this.cache.forget(key);
      const code = (err as { code?: unknown }).code;
      // 404: deleted meanwhile. 409: already bound (by someone else): nothing more to do.
      if (code === 404 || code === 409) return;
      this.opts.logger.warn({ err, pod: key, node }, 'binding failed; retrying after back-off');
      const latest = this.pods.get(pod.metadata.namespace, pod.metadata.name ?? '') as Pod | undefined;
      if (latest && !latest.spec.nodeName) this.queue.retryLater(latest);
      this.wake();
    }
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.opts.logger.warn({ err }, 'scheduler API write failed'));
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }
}
