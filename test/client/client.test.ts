// The client against a tiny fastify stub: only the client's own behaviour (requests it sends, how it reads
// answers). The real API server is exercised by the CLI tests in test/cli.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceByName } from '../../src/api/registry.js';
import { StatusError } from '../../src/api/status.js';
import { ApiClient } from '../../src/client/client.js';
import { ApiError, ConnectionError } from '../../src/client/errors.js';

const pods = resourceByName('pods')!;
const deploys = resourceByName('deploy')!;

interface Seen { method: string; url: string; auth?: string; contentType?: string; body?: unknown }
const seen: Seen[] = [];
let app: FastifyInstance;
let client: ApiClient;
let releaseWatch: () => void = () => undefined;

const pod = (name: string, rv: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: rv } });

beforeAll(async () => {
  app = Fastify({ forceCloseConnections: true });
  app.addContentTypeParser(['application/merge-patch+json', 'application/json-patch+json'], { parseAs: 'string' }, (_req, body, done) => done(null, JSON.parse(body as string)));
  app.addHook('onRequest', async (req) => { seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, contentType: req.headers['content-type'] }); });
  app.addHook('preHandler', async (req) => { seen[seen.length - 1]!.body = req.body; });
  app.get('/api/v1/namespaces/default/pods/missing', async (_req, reply) => reply.code(404).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "missing" not found', details: { name: 'missing', kind: 'pods' } }));
  app.get('/api/v1/namespaces/default/pods/web', async () => pod('web', '5'));
  app.get('/api/v1/namespaces/default/pods/teapot', async (_req, reply) => reply.code(502).type('text/plain').send('bad gateway'));
  app.get('/api/v1/pods', async (req) => {
    const q = req.query as Record<string, string>;
    if (q.watch === 'true') {
      // Streams one event, waits for the test to say so, then another: the client must yield the first before the second exists.
      const { PassThrough } = await import('node:stream');
      const out = new PassThrough();
      out.write(`${JSON.stringify({ type: 'ADDED', object: pod('a', '11') })}\n{"type":"MODI`);
      releaseWatch = () => { out.write(`FIED","object":${JSON.stringify(pod('a', '12'))}}\n`); out.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Gone', message: 'too old' } })}\n`); };
      return out;
    }
    if (q.continue === 'p2') return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '9' }, items: [pod('b', '8')] };
    return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '9', continue: q.limit ? 'p2' : undefined }, items: [pod('a', '7')] };
  });
  app.post('/apis/apps/v1/namespaces/default/deployments', async (req, reply) => reply.code(422).send({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422,
    message: 'Deployment.apps "web" is invalid', details: { causes: [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: 'must be >= 0' }] },
  }));
  app.put('/api/v1/namespaces/default/pods/web', async (req) => req.body);
  app.put('/api/v1/namespaces/default/pods/web/status', async (req) => req.body);
  app.patch('/api/v1/namespaces/default/pods/web', async (req) => ({ ...pod('web', '6'), patched: req.body }));
  app.delete('/api/v1/namespaces/default/pods/web', async () => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200, reason: 'Deleted', message: '' }));
  app.get('/version', async () => ({ gitVersion: 'v0.1.0' }));
  app.get('/metrics', async (_req, reply) => reply.type('text/plain').send('up 1\n'));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new ApiClient({ server: `${url}/`, token: 'tok' });
});

afterAll(async () => { releaseWatch(); await app.close(); });

const last = () => seen[seen.length - 1]!;

describe('ApiClient', () => {
  it('gets one object with the bearer token', async () => {
    expect(await client.get(pods, 'default', 'web')).toEqual(pod('web', '5'));
    expect(last()).toMatchObject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web', auth: 'Bearer tok' });
  });

  it('lists across namespaces with selectors, and follows continue tokens in listAll', async () => {
    const l = await client.list(pods, undefined, { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=pi', limit: 1 });
    expect(last().url).toBe('/api/v1/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dpi&limit=1');
    expect(l.metadata.continue).toBe('p2');
    const all = await client.listAll(pods, undefined, { limit: 1 });
    expect(all.items.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(all.metadata.continue).toBeUndefined();
  });

  it('turns a Status body into a StatusError with reason, message and causes', async () => {
    const err = await client.get(pods, 'default', 'missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ reason: 'NotFound', code: 404, httpStatus: 404, message: 'pods "missing" not found' });
    const inv = await client.create(deploys, 'default', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }).catch((e: unknown) => e);
    expect(inv).toMatchObject({ reason: 'Invalid', code: 422, details: { causes: [{ field: 'spec.replicas' }] } });
    expect(last()).toMatchObject({ method: 'POST', contentType: 'application/json', body: { kind: 'Deployment' } });
  });

  it('synthesizes a Status when the body is not one', async () => {
    const err = await client.get(pods, 'default', 'teapot').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ reason: 'InternalError', httpStatus: 502 });
    expect((err as Error).message).toContain('502');
    expect((err as Error).message).toContain('bad gateway');
  });

  it('updates, updates status, patches with the right content type, and deletes with options as query', async () => {
    const obj = pod('web', '5');
    expect(await client.update(pods, 'default', obj)).toEqual(obj);
    expect(last()).toMatchObject({ method: 'PUT', url: '/api/v1/namespaces/default/pods/web' });
    await client.updateStatus(pods, 'default', obj);
    expect(last()).toMatchObject({ method: 'PUT', url: '/api/v1/namespaces/default/pods/web/status' });
    await client.patch(pods, 'default', 'web', { metadata: { labels: { a: 'b' } } });
    expect(last()).toMatchObject({ method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
    await client.patch(pods, 'default', 'web', [{ op: 'add', path: '/metadata/labels/x', value: 'y' }], 'json');
    expect(last()).toMatchObject({ contentType: 'application/json-patch+json' });
    const res = await client.delete(pods, 'default', 'web', { propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
    expect(res).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0&propagationPolicy=Foreground' });
  });

  it('yields watch events as their lines arrive, including lines split across chunks', async () => {
    const events = client.watch(pods, undefined, { resourceVersion: '10', allowWatchBookmarks: true, timeoutSeconds: 30 });
    const first = await events.next();
    expect(first.value).toEqual({ type: 'ADDED', object: pod('a', '11') });
    expect(last().url).toBe('/api/v1/pods?watch=true&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=30');
    releaseWatch();
    const rest = [];
    for await (const ev of events) rest.push(ev);
    expect(rest.map((e) => e.type)).toEqual(['MODIFIED', 'ERROR']);
    expect(rest[1]!.object).toMatchObject({ code: 410 });
  });

  it('ends a watch quietly when its signal aborts', async () => {
    const ac = new AbortController();
    const types: string[] = [];
    for await (const ev of client.watch(pods, undefined, { signal: ac.signal })) { types.push(ev.type); ac.abort(); }
    expect(types).toEqual(['ADDED']);
  });

  it('reads other endpoints as JSON or text', async () => {
    expect(await client.raw('GET', '/version')).toEqual({ gitVersion: 'v0.1.0' });
    expect(await client.raw('GET', '/metrics')).toBe('up 1\n');
  });

  it('names the server when it cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const probe = Fastify();
    const freeUrl = await probe.listen({ host: '127.0.0.1', port: 0 });
    await probe.close();
    const dead = new ApiClient({ server: freeUrl });
    const err = await dead.get(pods, 'default', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe(`cannot reach the Bramble API server at ${freeUrl} (connect ECONNREFUSED ${freeUrl.slice('http://'.length)}): is the master running?`);
  });
});
