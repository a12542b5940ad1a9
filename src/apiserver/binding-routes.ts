// POST /api/v1/namespaces/{ns}/pods/{name}/binding: Kubernetes' Binding subresource, how a
// scheduler assigns a pod to a node. It sets spec.nodeName once (409 if the pod is already
// bound or being deleted) and PodScheduled=True in the same atomic write, so no watcher ever
// sees a bound pod without the condition. Admin only (auth.ts grants nobody else a pods/binding create).
import type { FastifyInstance } from 'fastify';
import { resourceByKind, storeKey, type ResourceType } from '../api/registry.js';
import type { Condition } from '../api/schemas.js';
import { StatusError, type Status } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { validateObject } from '../api/validation.js';
import type { Store } from '../store/store.js';
import { StoreConflictError } from '../store/errors.js';
import { conflict, fromStoreError, invalid, notFound } from './errors.js';
import { fromEntry, isObject, nowTimestamp, toStored } from './objects.js';
import type { ApiServer } from './server.js';

const pods = resourceByKind('v1', 'Pod') as ResourceType;
const maxRetries = 8;

interface PodShape {
  spec?: { nodeName?: string };
  status?: { conditions?: Condition[] };
}

/** The node a Binding body names; errors in Kubernetes' words. */
export function parseBinding(body: unknown, name: string): { node: string; uid?: string } {
  if (!isObject(body)) throw new StatusError('BadRequest', 'the request body must be a Binding object');
  if (body.kind !== undefined && body.kind !== 'Binding') throw new StatusError('BadRequest', `the body's kind is "${String(body.kind)}", expected "Binding"`);
  const meta = isObject(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== name) throw new StatusError('BadRequest', `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  const target = isObject(body.target) ? body.target : undefined;
  if (target?.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
    throw new StatusError('Invalid', `Binding "${name}" is invalid: target.kind: Unsupported value: "${String(target.kind)}": supported values: "Node"`);
  }
  if (typeof target?.name !== 'string' || target.name === '') {
    throw new StatusError('Invalid', `Binding "${name}" is invalid: target.name: Required value`, { name, kind: 'Binding', causes: [{ field: 'target.name', reason: 'FieldValueRequired', message: 'Required value' }] });
  }
  return { node: target.name, ...(typeof meta.uid === 'string' ? { uid: meta.uid } : {}) };
}

function scheduled(obj: KObject, node: string): KObject {
  const pod = obj as KObject & PodShape;
  const cond: Condition = { type: 'PodScheduled', status: 'True', lastTransitionTime: nowTimestamp() };
  const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), cond];
  return { ...obj, spec: { ...(obj.spec as object), nodeName: node }, status: { ...(obj.status as object), conditions } };
}

/** Binds in one conditional write, retried when something else wrote the pod in between. */
export async function bindPod(store: Store, ns: string, name: string, node: string, uid?: string): Promise<KObject> {
  const key = storeKey(pods, ns, name);
  for (let attempt = 0; ; attempt++) {
    const e = await store.get(key);
    if (!e) throw notFound(pods, name);
    const pod = fromEntry(e) as KObject & PodShape;
    if (uid !== undefined && pod.metadata.uid !== uid) throw conflict(pods, name, `the pod's uid is ${pod.metadata.uid ?? ''}, not ${uid}`);
    const bound = pod.spec?.nodeName;
    if (bound) throw conflict(pods, name, `pod ${name} is already assigned to node "${bound}"`);
    if (pod.metadata.deletionTimestamp !== undefined) throw conflict(pods, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const next = scheduled(pod, node);
    const errors = validateObject(pods, next);
    if (errors.length > 0) throw invalid(pods, name, errors);
    try {
      return fromEntry(await store.update(key, toStored(next), { expectedRevision: e.modRevision }));
    } catch (err) {
      if (err instanceof StoreConflictError && attempt < maxRetries) continue;
      if (err instanceof StoreConflictError) throw conflict(pods, name);
      throw fromStoreError(err, pods, name);
    }
  }
}

export function registerBindingRoutes(app: FastifyInstance, server: ApiServer): void {
  app.post('/api/v1/namespaces/:namespace/pods/:name/binding', async (req, reply) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    server.check(req, { verb: 'create', resource: 'pods', subresource: 'binding', namespace, name });
    const b = parseBinding(req.body, name);
    await bindPod(server.store, namespace, name, b.node, b.uid);
    const ok: Omit<Status, 'reason'> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', code: 201 };
    return reply.code(201).send(ok);
  });
}
