// The generic registry: create/get/list/update/patch/delete for every kind, with the
// Kubernetes semantics (server-owned metadata, optimistic concurrency, status subresource,
// graceful pod deletion, finalizers). Routes and in-process callers both go through here.
import type { ResourceType } from '../api/registry.js';
import { resourceByKind, storeKey, storePrefix } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import { foregroundFinalizer, orphanFinalizer } from '../api/deletion.js';
import { namespaceFinalizer } from '../api/kinds/node.js';
import type { KList, KObject, ObjectMeta } from '../api/types.js';
import { applyDefaults, carryOverAllocations } from '../api/defaults.js';
import type { Allocation, ServiceAllocator } from './service-alloc.js';
import { findUnknownFields, pruneUnknownFields, validateObject, validateUpdate } from '../api/validation.js';
import type { FieldSelector, LabelSelector } from '../api/selectors.js';
import { matchesFields } from '../api/selectors.js';
import type { Logger } from '../log/logger.js';
import { objectKey } from '../client/informer.js';
import type { Store } from '../store/store.js';
import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError } from '../store/errors.js';
import { conflict, fromStoreError, invalid, notFound } from './errors.js';
import { checkBodyKind, fromEntry, generateNameSuffix, isObject, newUid, nowTimestamp, parseResourceVersion, toStored } from './objects.js';
import { deepEqual, isVolatileStatusChange } from './volatile.js';
import { applyPatch, type PatchType } from './patch.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  fieldValidation?: FieldValidation;
}

export interface WriteResult {
  object: KObject;
  warnings: string[];
}

export interface ListQuery {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  object: KObject;
  /** False when the object is only marked for deletion (finalizers, graceful pod termination). */
  deleted: boolean;
}

/**
 * The object with the finalizers its deletion policy asks for, as Kubernetes' API server does:
 * Orphan adds `orphan` (the GC unlinks dependents, then removes it), Foreground adds
 * `foregroundDeletion` (the GC deletes dependents, then removes it), Background removes both;
 * no policy keeps what a previous delete asked for. The object is then only marked, never
 * removed at once. Namespaces have their own lifecycle and are left alone.
 */
export function withPropagationFinalizers(rt: ResourceType, obj: KObject, policy: DeleteOptions['propagationPolicy']): KObject {
  if (policy === undefined || rt.kind === 'Namespace') return obj;
  const keep = (obj.metadata.finalizers ?? []).filter((f) => f !== orphanFinalizer && f !== foregroundFinalizer);
  if (policy === 'Orphan') keep.push(orphanFinalizer);
  if (policy === 'Foreground') keep.push(foregroundFinalizer);
  const { finalizers: _f, ...meta } = obj.metadata;
  return { ...obj, metadata: keep.length > 0 ? { ...meta, finalizers: keep } : meta };
}

/** Namespaces that exist from the start and may not be deleted. */
export const systemNamespaces = ['default', 'bramble-system', 'kube-system'] as const;

const maxRetries = 8;

function continueToken(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

function continueKey(token: string): string {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof v.k === 'string') return v.k;
  } catch { /* fall through to the error below */ }
  throw new StatusError('BadRequest', `continue: invalid value "${token}": not a token from a previous list`);
}

/** The part of an object that a change of which bumps metadata.generation. */
function specOf(obj: KObject): unknown {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export class ResourceService {
  constructor(private readonly store: Store, private readonly log: Logger, private readonly services?: ServiceAllocator) {}

  /** The allocator's hold on a Service being written (ClusterIP, NodePorts, proxy ports). */
  private allocate(rt: ResourceType, obj: KObject, prev: KObject | undefined): Allocation | undefined {
    if (rt.kind !== 'Service' || !this.services || obj.metadata.deletionTimestamp !== undefined) return undefined;
    return this.services.allocate(objectKey(obj), obj, prev);
  }

  // ---- reads --------------------------------------------------------------------------

  async get(rt: ResourceType, ns: string | undefined, name: string): Promise<KObject> {
    const e = await this.store.get(storeKey(rt, ns, name));
    if (!e) throw notFound(rt, name);
    return fromEntry(e);
  }

  async list(rt: ResourceType, ns: string | undefined, q: ListQuery = {}): Promise<KList> {
    const opts: Parameters<Store['list']>[1] = {};
    if (q.labelSelector) opts.labelSelector = q.labelSelector;
    if (q.limit !== undefined && q.limit > 0) opts.limit = q.limit;
    if (q.continue) opts.continueAfter = continueKey(q.continue);
    const res = await this.store.list(storePrefix(rt, ns), opts);
    let items = res.items.map(fromEntry);
    if (q.fieldSelector && q.fieldSelector.requirements.length > 0) items = items.filter((o) => matchesFields(q.fieldSelector!, o));
    const metadata: KList['metadata'] = { resourceVersion: String(res.revision) };
    if (res.continueKey !== undefined) metadata.continue = continueToken(res.continueKey);
    return { apiVersion: rt.apiVersion, kind: rt.listKind, metadata, items };
  }

  // ---- create -------------------------------------------------------------------------

  async create(rt: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    let obj = checkBodyKind(rt, body);
    obj = this.placeInNamespace(rt, ns, obj);
    const warnings: string[] = [];
    obj = this.checkUnknownFields(rt, obj, opts.fieldValidation, warnings);
    // Server-owned metadata is never taken from the client.
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, deletionTimestamp: _d, deletionGracePeriodSeconds: _g, generation: _n, ...clientMeta } = obj.metadata;
    const meta: ObjectMeta = clientMeta;
    obj.metadata = meta;
    meta.uid = newUid();
    meta.creationTimestamp = nowTimestamp();
    if (obj.spec !== undefined || rt.hasStatus) meta.generation = 1;
    if (rt.hasStatus) obj = { ...obj, status: this.initialStatus(rt) };
    if (obj.status === undefined) delete obj.status;
    obj = applyDefaults(rt, obj);
    if (rt.namespaced) await this.checkNamespaceWritable(obj.metadata.namespace!);

    const generated = meta.name === undefined || meta.name === '';
    if (generated && !meta.generateName) throw invalid(rt, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]);
    for (let attempt = 0; ; attempt++) {
      if (generated) obj.metadata.name = `${meta.generateName}${generateNameSuffix()}`;
      const name = obj.metadata.name!;
      let errors = validateObject(rt, obj);
      if (errors.length > 0) throw invalid(rt, name, errors);
      const alloc = this.allocate(rt, obj, undefined);
      const toWrite = alloc?.object ?? obj;
      if (alloc) {
        errors = validateObject(rt, toWrite);
        if (errors.length > 0) { alloc.abort(); throw invalid(rt, name, errors); }
      }
      try {
        const e = await this.store.create(storeKey(rt, obj.metadata.namespace, name), toStored(toWrite));
        this.log.debug({ resource: rt.plural, namespace: obj.metadata.namespace, name }, 'created');
        const created = fromEntry(e);
        alloc?.commit(created);
        return { object: created, warnings };
      } catch (err) {
        alloc?.abort();
        // A generated name that is taken: draw another.
        if (generated && attempt < maxRetries && err instanceof StoreAlreadyExistsError) continue;
        throw fromStoreError(err, rt, name);
      }
    }
  }

  private initialStatus(rt: ResourceType): Record<string, unknown> {
    if (rt.kind === 'Pod') return { phase: 'Pending' };
    if (rt.kind === 'Namespace') return { phase: 'Active' };
    return {};
  }

  private placeInNamespace(rt: ResourceType, ns: string | undefined, obj: KObject): KObject {
    const meta = { ...obj.metadata };
    if (!rt.namespaced) {
      delete meta.namespace;
    } else {
      if (ns === undefined) throw new StatusError('BadRequest', `${rt.plural} are namespaced: use /namespaces/{namespace}/${rt.plural}`);
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns) {
        throw new StatusError('BadRequest', `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${ns})`);
      }
      meta.namespace = ns;
    }
    return { ...obj, metadata: meta };
  }

  private checkUnknownFields(rt: ResourceType, obj: KObject, mode: FieldValidation = 'Strict', warnings: string[]): KObject {
    if (mode === 'Ignore') return pruneUnknownFields(rt, obj);
    const unknown = findUnknownFields(rt, obj);
    if (unknown.length === 0) return obj;
    const msgs = unknown.map((f) => `unknown field "${f}"`);
    if (mode === 'Strict') throw new StatusError('BadRequest', `strict decoding error: ${msgs.join(', ')}`, { kind: rt.kind, causes: unknown.map((f) => ({ field: f, reason: 'FieldValueUnknown', message: 'unknown field' })) });
    warnings.push(...msgs);
    return pruneUnknownFields(rt, obj);
  }

  private async checkNamespaceWritable(ns: string): Promise<void> {
    const nsType = resourceByKind('v1', 'Namespace')!;
    const e = await this.store.get(storeKey(nsType, undefined, ns));
    if (!e) throw new StatusError('NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    const phase = (e.value as { status?: { phase?: string } }).status?.phase;
    if (phase === 'Terminating') throw new StatusError('Forbidden', `unable to create new content in namespace ${ns} because it is being terminated`, { name: ns, kind: 'namespaces' });
  }

  // ---- update -------------------------------------------------------------------------

  /** PUT of the main resource: spec and metadata change; status is kept (it has its own subresource). */
  async update(rt: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const warnings: string[] = [];
    let obj = this.placeInNamespace(rt, ns, checkBodyKind(rt, body));
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw new StatusError('BadRequest', `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    obj = this.checkUnknownFields(rt, obj, opts.fieldValidation, warnings);
    const expected = parseResourceVersion(obj.metadata.resourceVersion);
    const object = await this.writeWithRetry(rt, ns, name, expected, (prev) => this.mergeForUpdate(rt, prev, obj, false));
    return { object, warnings };
  }

  /** PUT of `/status`: only status changes; everything else comes from the stored object. */
  async updateStatus(rt: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    if (!rt.hasStatus) throw new StatusError('NotFound', `${rt.plural} have no status subresource`);
    const warnings: string[] = [];
    let obj = this.placeInNamespace(rt, ns, checkBodyKind(rt, body));
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw new StatusError('BadRequest', `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj = this.checkUnknownFields(rt, obj, opts.fieldValidation, warnings);
    const expected = parseResourceVersion(obj.metadata.resourceVersion);
    const object = await this.writeWithRetry(rt, ns, name, expected, (prev) => this.mergeForUpdate(rt, prev, obj, true));
    return { object, warnings };
  }

  async patch(rt: ResourceType, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions & { subresource?: 'status' } = {}): Promise<WriteResult> {
    if (opts.subresource === 'status' && !rt.hasStatus) throw new StatusError('NotFound', `${rt.plural} have no status subresource`);
    const warnings: string[] = [];
    // A patch naming a resourceVersion is a precondition; otherwise retry on concurrent writes.
    const object = await this.writeWithRetry(rt, ns, name, undefined, (prev) => {
      let next = applyPatch(type, prev, patch);
      if (!isObject(next)) throw new StatusError('BadRequest', 'the patch did not produce an object');
      next = checkBodyKind(rt, next);
      let obj = this.checkUnknownFields(rt, next as KObject, opts.fieldValidation, warnings);
      if (obj.metadata.name !== name) throw new StatusError('BadRequest', 'a patch may not change metadata.name');
      const expected = parseResourceVersion(obj.metadata.resourceVersion);
      if (expected !== undefined && expected !== Number(prev.metadata.resourceVersion)) throw conflict(rt, name);
      obj = this.placeInNamespace(rt, ns, obj);
      return this.mergeForUpdate(rt, prev, obj, opts.subresource === 'status');
    });
    return { object, warnings };
  }

  /** Apply the server's rules for an update of prev into next. */
  private mergeForUpdate(rt: ResourceType, prev: KObject, body: KObject, statusOnly: boolean): KObject {
    let next: KObject;
    if (statusOnly) {
      next = { ...prev, status: body.status };
      if (next.status === undefined) delete next.status;
    } else {
      next = { ...body, metadata: { ...body.metadata } };
      if (rt.hasStatus) next.status = prev.status;
      if (next.status === undefined) delete next.status;
      const { deletionTimestamp: _d, deletionGracePeriodSeconds: _g, generation: _n, ...clientMeta } = next.metadata;
      const { uid, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, generation } = prev.metadata;
      next.metadata = { ...clientMeta, uid, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, generation };
      for (const [k, v] of Object.entries(next.metadata)) if (v === undefined) Reflect.deleteProperty(next.metadata, k);
      // A manifest re-applied without the clusterIP/nodePorts the server allocated keeps them.
      next = carryOverAllocations(rt, applyDefaults(rt, next), prev);
      if (!deepEqual(specOf(prev), specOf(next))) next.metadata.generation = (prev.metadata.generation ?? 0) + 1;
    }
    next.metadata = { ...next.metadata, resourceVersion: prev.metadata.resourceVersion };
    const errors = [...validateObject(rt, next), ...validateUpdate(rt, next, prev)];
    if (errors.length > 0) throw invalid(rt, prev.metadata.name ?? '', errors);
    return next;
  }

  /**
   * Read, compute, write with the read revision as precondition. With an explicit
   * `expected` revision a conflict is the caller's; without, a concurrent write is retried.
   */
  private async writeWithRetry(rt: ResourceType, ns: string | undefined, name: string, expected: number | undefined, compute: (prev: KObject) => KObject): Promise<KObject> {
    const key = storeKey(rt, ns, name);
    for (let attempt = 0; ; attempt++) {
      const e = await this.store.get(key);
      if (!e) throw notFound(rt, name);
      if (expected !== undefined && expected !== e.modRevision) throw conflict(rt, name);
      const prev = fromEntry(e);
      const computed = compute(prev);
      const alloc = this.allocate(rt, computed, prev);
      const next = alloc?.object ?? computed;
      if (deepEqual(next, prev)) { alloc?.commit(prev); return prev; } // a no-op write changes nothing, not even the resourceVersion
      try {
        // Removing the last finalizer of an object being deleted completes the deletion.
        if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0 && this.deletionComplete(rt, next)) {
          const d = await this.store.delete(key, { expectedRevision: e.modRevision });
          alloc?.abort();
          this.log.debug({ resource: rt.plural, namespace: ns, name }, 'deleted after finalizers');
          return { ...next, metadata: { ...next.metadata, resourceVersion: String(d.modRevision) } };
        }
        const volatile = rt.hasStatus && isVolatileStatusChange(rt.kind, prev, next);
        const u = await this.store.update(key, toStored(next), { expectedRevision: e.modRevision, volatile });
        const written = fromEntry(u);
        alloc?.commit(written);
        return written;
      } catch (err) {
        alloc?.abort();
        if (err instanceof StoreConflictError && expected === undefined && attempt < maxRetries) continue;
        if (err instanceof StoreConflictError) throw conflict(rt, name);
        throw fromStoreError(err, rt, name);
      }
    }
  }

  /**
   * Pods under graceful termination are removed by their node (or a zero-grace delete), not by
   * finalizer removal; a namespace goes when its spec.finalizers are gone too (the namespace
   * controller removes `kubernetes` once it has emptied it).
   */
  private deletionComplete(rt: ResourceType, obj: KObject): boolean {
    if (rt.kind === 'Namespace') return ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length === 0;
    if (rt.kind !== 'Pod') return true;
    return obj.metadata.deletionGracePeriodSeconds === undefined || obj.metadata.deletionGracePeriodSeconds === 0;
  }

  // ---- delete -------------------------------------------------------------------------

  async delete(rt: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    if (rt.kind === 'Namespace' && (systemNamespaces as readonly string[]).includes(name)) {
      throw new StatusError('Forbidden', `namespace "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    const key = storeKey(rt, ns, name);
    for (let attempt = 0; ; attempt++) {
      const e = await this.store.get(key);
      if (!e) throw notFound(rt, name);
      const prev = fromEntry(e);
      this.checkPreconditions(rt, name, prev, opts);
      const marked = this.markForDeletion(rt, withPropagationFinalizers(rt, prev, opts.propagationPolicy), opts);
      try {
        if (marked) {
          if (deepEqual(marked, prev)) return { object: prev, deleted: false };
          const u = await this.store.update(key, toStored(marked), { expectedRevision: e.modRevision });
          return { object: fromEntry(u), deleted: false };
        }
        const d = await this.store.delete(key, { expectedRevision: e.modRevision });
        this.log.debug({ resource: rt.plural, namespace: ns, name }, 'deleted');
        return { object: fromEntry(d), deleted: true };
      } catch (err) {
        if ((err instanceof StoreConflictError) && attempt < maxRetries) continue;
        if (err instanceof StoreNotFoundError) throw notFound(rt, name);
        throw fromStoreError(err, rt, name);
      }
    }
  }

  private checkPreconditions(rt: ResourceType, name: string, obj: KObject, opts: DeleteOptions): void {
    const p = opts.preconditions;
    if (p?.uid !== undefined && p.uid !== obj.metadata.uid) {
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
    }
    if (p?.resourceVersion !== undefined && p.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in meta: ${obj.metadata.resourceVersion ?? ''}`);
    }
  }

  /**
   * The object to store instead of deleting, or undefined to delete now. Objects with
   * finalizers, namespaces (emptied first) and pods running on a node (which get
   * their grace period to stop) are only marked.
   */
  private markForDeletion(rt: ResourceType, obj: KObject, opts: DeleteOptions): KObject | undefined {
    const now = nowTimestamp();
    const meta = { ...obj.metadata };
    if (rt.kind === 'Pod') {
      const grace = this.podGracePeriod(obj, opts);
      const nodeName = (obj.spec as { nodeName?: string } | undefined)?.nodeName;
      const phase = (obj.status as { phase?: string } | undefined)?.phase;
      const running = nodeName !== undefined && nodeName !== '' && phase !== 'Succeeded' && phase !== 'Failed';
      if (running && grace > 0) {
        const deadline = nowTimestamp(new Date(Date.now() + grace * 1000));
        // A second delete may shorten the grace period, never lengthen it.
        if (meta.deletionTimestamp === undefined || deadline < meta.deletionTimestamp) {
          meta.deletionTimestamp = deadline;
          meta.deletionGracePeriodSeconds = grace;
        }
        return { ...obj, metadata: meta };
      }
      if ((meta.finalizers ?? []).length === 0) return undefined;
      meta.deletionGracePeriodSeconds = 0;
    }
    if (rt.kind === 'Namespace') {
      // Emptied by the namespace controller, which then removes the finalizer (Kubernetes' way).
      meta.deletionTimestamp ??= now;
      const spec = { ...(obj.spec as { finalizers?: string[] } | undefined) };
      if (!(spec.finalizers ?? []).includes(namespaceFinalizer)) spec.finalizers = [...(spec.finalizers ?? []), namespaceFinalizer];
      return { ...obj, metadata: meta, spec, status: { ...(obj.status as object | undefined), phase: 'Terminating' } };
    }
    if ((meta.finalizers ?? []).length > 0) {
      meta.deletionTimestamp ??= now;
      meta.deletionGracePeriodSeconds ??= 0;
      return { ...obj, metadata: meta };
    }
    return undefined;
  }

  private podGracePeriod(pod: KObject, opts: DeleteOptions): number {
    if (opts.gracePeriodSeconds !== undefined) {
      if (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0) throw new StatusError('BadRequest', `gracePeriodSeconds: invalid value ${opts.gracePeriodSeconds}: must be a non-negative integer`);
      return opts.gracePeriodSeconds;
    }
    return (pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30;
  }

  async ensureNamespace(name: string): Promise<void> {
    const nsType = resourceByKind('v1', 'Namespace')!;
    if (await this.store.get(storeKey(nsType, undefined, name))) return;
    try {
      await this.create(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}
