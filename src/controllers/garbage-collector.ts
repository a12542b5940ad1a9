// The garbage collector: cascading deletion by ownerReferences, as in Kubernetes.
// - Background: an object whose owners are all gone is deleted.
// - Foreground: an owner marked with `foregroundDeletion` stays until its blocking dependents are gone.
// - Orphan: an owner marked with `orphan` has its references removed from its dependents, then goes.
// Decisions are in gc-decide.ts; this file keeps the graph current and does the I/O.
import { resourceByKind, resourceTypes, type ResourceType } from '../api/registry.js';
import type { KObject, OwnerReference } from '../api/types.js';
import type { Informer, InformerEvent } from '../client/informer.js';
import { sameJson } from './compare.js';
import type { Controller, ControllerContext } from './controller.js';
import { isConflict, isNotFound, ReconcileLoop } from './controller.js';
import { decideDeletingOwner, decideDependent, foregroundFinalizer, orphanFinalizer, ownerState, withoutOwners, type DependentView, type OwnerView } from './gc-decide.js';
import { itemKey, OwnerGraph, parseItemKey } from './gc-graph.js';
import type { ControllerFactory } from './manager.js';

/** Every namespaced kind may own or depend on another; Events are never either. */
export const gcResourceTypes: readonly ResourceType[] = resourceTypes.filter((rt) => rt.namespaced && rt.kind !== 'Event');

function deletingWithFinalizer(obj: KObject | undefined): boolean {
  const f = obj?.metadata.finalizers ?? [];
  return obj?.metadata.deletionTimestamp !== undefined && (f.includes(orphanFinalizer) || f.includes(foregroundFinalizer));
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  readonly graph = new OwnerGraph();
  private readonly loop: ReconcileLoop;
  private readonly informers = new Map<string, Informer>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (key) => this.reconcile(key), workers: 2 });
  }

  private stopped = false;

  start(): void {
    for (const rt of gcResourceTypes) {
      const inf = this.ctx.informers.for(rt);
      this.informers.set(`${rt.group}/${rt.plural}`, inf);
      this.unsubscribe.push(inf.on((type, obj, old) => this.observe(rt, type, obj, old)));
    }
    // Decide only on a complete graph, as Kubernetes' collector waits for every cache: with the
    // pods not yet listed, an owner deleting with `orphan` or `foregroundDeletion` would look
    // dependent-free and lose its finalizer, and its pods would then be collected, not orphaned.
    void Promise.all([...this.informers.values()].map((i) => i.synced)).then(() => { if (!this.stopped) this.loop.start(); });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  private enqueueUid(uid: string): void {
    const key = this.graph.keyOf(uid);
    if (key !== undefined) this.loop.enqueue(key);
  }

  /** Keeps the graph current and queues every object whose decision may have changed. */
  private observe(rt: ResourceType, type: InformerEvent, obj: KObject, old: KObject | undefined): void {
    const key = itemKey(rt, obj.metadata.namespace, obj.metadata.name ?? '');
    const uid = obj.metadata.uid;
    if (type === 'DELETED') {
      // Its dependents may now be dangling; its owners may be waiting for it.
      const dependents = uid === undefined ? [] : this.graph.dependentsOf(uid);
      for (const o of this.graph.remove(uid)) this.enqueueUid(o);
      for (const d of dependents) this.loop.enqueue(d);
      return;
    }
    const { ownersRemoved, ownersChanged } = this.graph.upsert(key, obj);
    for (const o of ownersRemoved) this.enqueueUid(o);
    const deletionChanged = !sameJson(old?.metadata.deletionTimestamp, obj.metadata.deletionTimestamp) || !sameJson(old?.metadata.finalizers, obj.metadata.finalizers);
    if ((obj.metadata.ownerReferences ?? []).length > 0 && (type === 'ADDED' || ownersChanged)) this.loop.enqueue(key);
    if (deletingWithFinalizer(obj) && (type === 'ADDED' || deletionChanged)) this.loop.enqueue(key);
    // A dependent on its way out (or gone from a foreground owner's view) lets its owners re-check.
    if (deletionChanged && obj.metadata.deletionTimestamp !== undefined) for (const r of obj.metadata.ownerReferences ?? []) this.enqueueUid(r.uid);
  }

  private cached(key: string): KObject | undefined {
    const p = parseItemKey(key);
    if (!p) return undefined;
    return this.informers.get(`${p.rt.group}/${p.rt.plural}`)?.get(p.namespace, p.name);
  }

  async reconcile(key: string): Promise<void> {
    const obj = this.cached(key);
    if (!obj) return;
    if (deletingWithFinalizer(obj)) await this.processOwner(key, obj);
    if ((obj.metadata.ownerReferences ?? []).length > 0) await this.processDependent(key, obj);
  }

  // ---- an owner being deleted (orphan / foreground) -------------------------------------

  private async processOwner(key: string, owner: KObject): Promise<void> {
    const dependents: DependentView[] = this.graph.dependentsOf(owner.metadata.uid ?? '').flatMap((k) => {
      const obj = this.cached(k);
      return obj ? [{ key: k, obj }] : [];
    });
    const action = decideDeletingOwner(owner, dependents);
    switch (action.type) {
      case 'orphan':
        for (const d of action.dependents) await this.removeOwnerRefs(d, [owner.metadata.uid!]);
        return;
      case 'deleteDependents':
        for (const d of action.dependents) this.loop.enqueue(d);
        return;
      case 'removeFinalizer':
        await this.removeFinalizer(key, owner.metadata.uid!, action.finalizer);
        return;
      case 'wait':
      case 'none':
        return;
    }
  }

  private async removeFinalizer(key: string, uid: string, finalizer: string): Promise<void> {
    const p = parseItemKey(key)!;
    const live = await this.liveGet(p.rt, p.namespace, p.name);
    if (!live || live.metadata.uid !== uid) return;
    const finalizers = (live.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (finalizers.length === (live.metadata.finalizers ?? []).length) return;
    await this.ctx.api.update(p.rt, p.namespace, { ...live, metadata: { ...live.metadata, finalizers } });
    this.ctx.logger.debug({ key, finalizer }, 'finalizer removed');
  }

  // ---- an object with owners ------------------------------------------------------------

  private async processDependent(key: string, obj: KObject): Promise<void> {
    if (obj.metadata.deletionTimestamp !== undefined) return;
    const owners: OwnerView[] = [];
    for (const ref of obj.metadata.ownerReferences ?? []) owners.push({ ref, state: await this.ownerStateOf(obj, ref) });
    const action = decideDependent(obj, owners, this.graph.dependentsOf(obj.metadata.uid ?? '').length > 0);
    const p = parseItemKey(key)!;
    if (action.type === 'removeOwnerRefs') {
      await this.removeOwnerRefs(key, action.uids);
    } else if (action.type === 'delete') {
      try {
        await this.ctx.api.delete(p.rt, p.namespace, p.name, { propagationPolicy: action.policy, preconditions: { uid: obj.metadata.uid! } });
        this.ctx.logger.info({ resource: p.rt.plural, namespace: p.namespace, name: p.name, policy: action.policy }, 'deleted: its owners are gone');
      } catch (err) {
        // Already gone, or a new object took the name: nothing left to collect.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /**
   * The cache says an owner is present when it holds it; an owner the cache does not hold may
   * simply not have arrived yet (another kind's informer is behind), so absence is confirmed
   * by a live read by name and uid before anything is deleted.
   */
  private async ownerStateOf(dep: KObject, ref: OwnerReference): Promise<OwnerView['state']> {
    const rt = resourceByKind(ref.apiVersion, ref.kind);
    // An owner of a kind Bramble does not serve cannot be checked: never delete on its account.
    if (!rt) return 'present';
    const ns = rt.namespaced ? dep.metadata.namespace : undefined;
    const key = this.graph.keyOf(ref.uid);
    const cached = key !== undefined ? this.cached(key) : undefined;
    if (cached?.metadata.uid === ref.uid) return ownerState(cached);
    const live = await this.liveGet(rt, ns, ref.name);
    if (!live || live.metadata.uid !== ref.uid) return 'absent';
    return ownerState(live);
  }

  private async liveGet(rt: ResourceType, ns: string | undefined, name: string): Promise<KObject | undefined> {
    try {
      return await this.ctx.api.get(rt, ns, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async removeOwnerRefs(key: string, uids: readonly string[]): Promise<void> {
    const p = parseItemKey(key);
    if (!p) return;
    const live = await this.liveGet(p.rt, p.namespace, p.name);
    if (!live) return;
    const ownerReferences = withoutOwners(live, uids);
    if (ownerReferences.length === (live.metadata.ownerReferences ?? []).length) return;
    const { ownerReferences: _o, ...rest } = live.metadata;
    const metadata = ownerReferences.length > 0 ? { ...rest, ownerReferences } : rest;
    // The resourceVersion read is a precondition: a concurrent change is retried, not overwritten.
    await this.ctx.api.update(p.rt, p.namespace, { ...live, metadata });
    this.ctx.logger.debug({ key, owners: uids }, 'owner references removed');
  }
}

export const garbageCollectorController: ControllerFactory = {
  name: 'garbage-collector',
  make: (ctx) => new GarbageCollector(ctx),
};
