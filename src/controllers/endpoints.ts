// The endpoints controller: keeps, for every Service with a selector, an Endpoints object of the
// same name listing its pods as hostIP:hostPort (see endpoints-compute.ts). Reconciles per
// Service ("ns/name"); pod, node and Endpoints changes are mapped onto the Services they touch.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import { objectKey, type Informer, type InformerEvent } from '../client/informer.js';
import type { Controller, ControllerContext } from './controller.js';
import { isForbidden, isNotFound, ReconcileLoop, splitKey } from './controller.js';
import { addressTypeAnnotation, decideEndpoints, selects, serviceSelector } from './endpoints-compute.js';
import { sameJson, sameStringMap } from './compare.js';
import type { ControllerFactory } from './manager.js';
import { nodesType, podsType } from './owners.js';
import { nodeReady } from './taints.js';

const servicesType = resourceByKind('v1', 'Service') as ResourceType;
const endpointsType = resourceByKind('v1', 'Endpoints') as ResourceType;

type PodStatusPart = { phase?: string; hostIP?: string; conditions?: { type: string; status: string }[]; portMappings?: unknown } | undefined;

/**
 * Whether the part of a pod that Endpoints depend on changed: other changes (most status
 * writes) are ignored. Runs for every pod event, so the spec (a part the store shares between
 * versions when unchanged) is compared by reference first.
 */
export function endpointsInputChanged(pod: KObject, old: KObject | undefined): boolean {
  if (!old) return true;
  const s = pod.status as PodStatusPart;
  const o = old.status as PodStatusPart;
  const ready = (x: PodStatusPart): string | undefined => x?.conditions?.find((c) => c.type === 'Ready')?.status;
  return !sameStringMap(pod.metadata.labels, old.metadata.labels)
    || pod.metadata.deletionTimestamp !== old.metadata.deletionTimestamp
    || !sameJson(pod.spec, old.spec)
    || s?.phase !== o?.phase || s?.hostIP !== o?.hostIP || ready(s) !== ready(o)
    || !sameJson(s?.portMappings, o?.portMappings);
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly loop: ReconcileLoop;
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly endpoints: Informer;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (k) => this.reconcile(k), workers: 2 });
    this.services = ctx.informers.for(servicesType);
    this.pods = ctx.informers.for(podsType);
    this.nodes = ctx.informers.for(nodesType);
    this.endpoints = ctx.informers.for(endpointsType);
  }

  start(): void {
    this.unsubscribe.push(
      this.services.on((_t, svc) => this.loop.enqueue(objectKey(svc))),
      this.endpoints.on((_t, ep) => this.loop.enqueue(objectKey(ep))),
      this.pods.on((t, pod, old) => this.onPod(t, pod, old)),
      this.nodes.on((t, node, old) => { if (t !== 'MODIFIED' || old === undefined || nodeReady(node) !== nodeReady(old)) this.enqueueAllSelecting(); }),
    );
    // Computed from half-listed pods, Endpoints would shrink for a moment after every master start.
    const caches = [this.services, this.pods, this.nodes, this.endpoints].map((i) => i.synced);
    void Promise.all(caches).then(() => { if (!this.stopped) this.loop.start(); });
  }

  private stopped = false;

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  private onPod(type: InformerEvent, pod: KObject, old: KObject | undefined): void {
    if (type === 'MODIFIED' && !endpointsInputChanged(pod, old)) return;
    // A Service selects pods of its own namespace only (as in Kubernetes).
    for (const svc of this.services.values(pod.metadata.namespace ?? '')) {
      const sel = serviceSelector(svc);
      if (!sel) continue;
      if (selects(sel, pod) || (old !== undefined && selects(sel, old))) this.loop.enqueue(objectKey(svc));
    }
  }

  /** A node's readiness changes every pod on it: rare enough to look at every selecting Service. */
  private enqueueAllSelecting(): void {
    for (const svc of this.services.values()) if (serviceSelector(svc)) this.loop.enqueue(objectKey(svc));
  }

  async reconcile(k: string): Promise<void> {
    const { namespace, name } = splitKey(k);
    const svc = this.services.get(namespace, name);
    const existing = this.endpoints.get(namespace, name);
    if (!svc) {
      // Only Endpoints this controller wrote go with their Service; a user's are theirs to keep.
      if (existing?.metadata.annotations?.[addressTypeAnnotation] !== undefined) await this.deleteEndpoints(namespace, name);
      return;
    }
    // Only the Service's namespace's pods, read in place, and nodes looked up as needed: a
    // reconcile costs the namespace's pods, not the cluster's pods and nodes.
    const nodeOf = (nodeName: string): KObject | undefined => this.nodes.get(undefined, nodeName);
    const action = decideEndpoints(svc, this.pods.values(namespace ?? ''), nodeOf, existing);
    if (action.type === 'create') {
      try {
        await this.ctx.api.create(endpointsType, namespace, action.endpoints);
      } catch (err) {
        // A terminating namespace takes nothing new (its Services go too). AlreadyExists (the
        // cache is behind) fails the pass: the retry finds the object and updates it.
        if (!isForbidden(err)) throw err;
      }
    } else if (action.type === 'update') {
      // The cached resourceVersion is a precondition: a conflict is retried with a fresher cache.
      await this.ctx.api.update(endpointsType, namespace, action.endpoints);
    }
  }

  private async deleteEndpoints(namespace: string | undefined, name: string): Promise<void> {
    try {
      await this.ctx.api.delete(endpointsType, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const endpointsController: ControllerFactory = {
  name: 'endpoints',
  make: (ctx) => new EndpointsController(ctx),
};
