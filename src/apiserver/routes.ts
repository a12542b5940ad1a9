// The resource routes: /api/v1/... and /apis/{group}/v1/..., every verb, plus watch.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StatusError } from '../api/status.js';
import { parseFieldSelector, parseLabelSelector } from '../api/selectors.js';
import type { Verb } from './auth.js';
import { parseResourcePath, type ResourcePath } from './paths.js';
import type { DeleteOptions, FieldValidation, WriteResult } from './resources.js';
import { patchContentTypes } from './patch.js';
import { mediaType } from './body.js';
import { HttpWatch } from './watch.js';
import { parseResourceVersion } from './objects.js';
import type { ApiServer } from './server.js';

type Query = Record<string, string | string[] | undefined>;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function bool(q: Query, name: string): boolean {
  const v = one(q, name);
  return v === 'true' || v === '1';
}

function int(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new StatusError('BadRequest', `${name}: invalid value "${v}": must be an integer`);
  return Number(v);
}

function fieldValidation(q: Query): FieldValidation {
  const v = one(q, 'fieldValidation') ?? 'Strict';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') throw new StatusError('BadRequest', `fieldValidation: invalid value "${v}": must be Strict, Warn or Ignore`);
  return v;
}

function requireBody(body: unknown): unknown {
  if (body === undefined) throw new StatusError('BadRequest', 'the request body is empty');
  return body;
}

function verbOf(method: string, p: ResourcePath, q: Query): Verb {
  switch (method) {
    case 'GET': return p.name === undefined ? (bool(q, 'watch') ? 'watch' : 'list') : 'get';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return 'delete';
    default: throw new StatusError('MethodNotAllowed', `${method} is not supported`);
  }
}

function deleteOptions(q: Query, body: unknown): DeleteOptions {
  const b = (typeof body === 'object' && body !== null ? body : {}) as DeleteOptions & { kind?: string; orphanDependents?: boolean };
  const opts: DeleteOptions = {};
  const grace = int(q, 'gracePeriodSeconds') ?? b.gracePeriodSeconds;
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = one(q, 'propagationPolicy') ?? b.propagationPolicy ?? (b.orphanDependents === true ? 'Orphan' : undefined);
  if (policy !== undefined) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') throw new StatusError('BadRequest', `propagationPolicy: invalid value "${policy}": must be Orphan, Background or Foreground`);
    opts.propagationPolicy = policy;
  }
  if (b.preconditions) opts.preconditions = b.preconditions;
  return opts;
}

function sendWrite(reply: FastifyReply, code: number, r: WriteResult): FastifyReply {
  if (r.warnings.length > 0) reply.header('Warning', r.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', '));
  return reply.code(code).send(r.object);
}

export function registerResourceRoutes(app: FastifyInstance, server: ApiServer): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const params = req.params as { group?: string; version: string; '*': string };
    const q = req.query as Query;
    const p = parseResourcePath(params.group ?? '', params.version, params['*']);
    const verb = verbOf(req.method, p, q);
    const attrs = { verb, resource: p.rt.plural, ...(p.subresource ? { subresource: p.subresource } : {}), ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.name ? { name: p.name } : {}) };
    server.check(req, attrs);
    if (one(q, 'dryRun') !== undefined) throw new StatusError('BadRequest', 'dryRun is not supported by this server');
    if (p.subresource !== undefined && p.subresource !== 'status') {
      throw new StatusError('NotFound', `the server could not find the requested resource: ${p.rt.plural}/${p.subresource}`);
    }
    const res = server.resources;
    const { rt, namespace: ns } = p;

    if (p.name === undefined) {
      switch (req.method) {
        case 'GET': {
          const labelSelector = parseLabelSelector(one(q, 'labelSelector'));
          const fieldSelector = parseFieldSelector(one(q, 'fieldSelector'), rt.selectableFields);
          if (verb === 'watch') return startWatch(server, req, reply, { rt, namespace: ns, labelSelector, fieldSelector, q });
          const limit = int(q, 'limit');
          const cont = one(q, 'continue');
          return res.list(rt, ns, { labelSelector, fieldSelector, ...(limit !== undefined ? { limit } : {}), ...(cont ? { continue: cont } : {}) });
        }
        case 'POST':
          return sendWrite(reply, 201, await res.create(rt, ns, requireBody(req.body), { fieldValidation: fieldValidation(q) }));
        case 'DELETE': {
          const labelSelector = parseLabelSelector(one(q, 'labelSelector'));
          const fieldSelector = parseFieldSelector(one(q, 'fieldSelector'), rt.selectableFields);
          const list = await res.list(rt, ns, { labelSelector, fieldSelector });
          const opts = deleteOptions(q, req.body);
          const items = [];
          for (const o of list.items) {
            try {
              items.push((await res.delete(rt, o.metadata.namespace, o.metadata.name!, opts)).object);
            } catch (err) {
              if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
            }
          }
          return { ...list, items };
        }
        default:
          throw new StatusError('MethodNotAllowed', `${req.method} is not allowed on a collection`);
      }
    }

    const name = p.name;
    const status = p.subresource === 'status';
    switch (req.method) {
      case 'GET':
        return res.get(rt, ns, name);
      case 'PUT':
        return sendWrite(reply, 200, status
          ? await res.updateStatus(rt, ns, name, requireBody(req.body), { fieldValidation: fieldValidation(q) })
          : await res.update(rt, ns, name, requireBody(req.body), { fieldValidation: fieldValidation(q) }));
      case 'PATCH': {
        const type = patchContentTypes[mediaType(req.headers['content-type'] ?? '')];
        if (!type) throw new StatusError('UnsupportedMediaType', 'PATCH needs Content-Type application/merge-patch+json or application/json-patch+json');
        return sendWrite(reply, 200, await res.patch(rt, ns, name, type, requireBody(req.body), { fieldValidation: fieldValidation(q), ...(status ? { subresource: 'status' as const } : {}) }));
      }
      case 'DELETE': {
        if (status) throw new StatusError('MethodNotAllowed', 'DELETE is not allowed on a status subresource');
        const r = await res.delete(rt, ns, name, deleteOptions(q, req.body));
        return reply.code(r.deleted ? 200 : 202).send(r.object);
      }
      case 'POST':
        throw new StatusError('MethodNotAllowed', `POST is not allowed on a single ${rt.kind}: POST to the collection to create`);
      default:
        throw new StatusError('MethodNotAllowed', `${req.method} is not supported`);
    }
  };

  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...methods], url: '/api/:version/*', handler });
  app.route({ method: [...methods], url: '/apis/:group/:version/*', handler });
}

interface WatchParams {
  rt: ResourcePath['rt'];
  namespace: string | undefined;
  labelSelector: ReturnType<typeof parseLabelSelector>;
  fieldSelector: ReturnType<typeof parseFieldSelector>;
  q: Query;
}

async function startWatch(server: ApiServer, req: FastifyRequest, reply: FastifyReply, w: WatchParams): Promise<FastifyReply> {
  req.isWatch = true;
  const timeoutSeconds = int(w.q, 'timeoutSeconds');
  const watch = new HttpWatch(server.store, {
    rt: w.rt,
    namespace: w.namespace,
    resourceVersion: parseResourceVersion(one(w.q, 'resourceVersion'), 'resourceVersion'),
    labelSelector: w.labelSelector,
    fieldSelector: w.fieldSelector,
    timeoutSeconds,
    allowBookmarks: bool(w.q, 'allowWatchBookmarks'),
  }, reply.raw, server.watchLimits, {
    opened: () => { server.metrics.watchers.inc(); },
    closed: (reason) => { server.metrics.watchers.dec(); server.metrics.watchesDropped.inc({ reason }); server.watches.delete(watch); },
  });
  server.watches.add(watch);
  reply.hijack();
  server.metrics.requests.inc({ verb: 'watch', resource: w.rt.plural, code: '200' });
  try {
    await watch.start();
  } catch (err) {
    server.log.error({ err }, 'watch failed to start');
    watch.close();
  }
  return reply;
}
