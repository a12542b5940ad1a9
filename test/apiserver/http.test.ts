import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, pod, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ bodyLimitBytes: 64 * 1024 }); });
afterAll(async () => { await h.stop(); });

describe('authentication and roles', () => {
  it('health and version need no token', async () => {
    expect((await h.call('GET', '/healthz', undefined, { token: null })).status).toBe(200);
    expect((await h.call('GET', '/readyz', undefined, { token: null })).status).toBe(200);
    const v = await h.call('GET', '/version', undefined, { token: null });
    expect(v.body.gitVersion).toMatch(/^v\d/);
  });

  it('a request without a token gets 401 Unauthorized as a Status', async () => {
    const r = await h.call('GET', '/api/v1/namespaces/default/pods', undefined, { token: null });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('a wrong or malformed token gets 401', async () => {
    const [id] = h.token.split('.');
    expect((await h.call('GET', '/api/v1/pods', undefined, { token: `${id}.00000000000000000000000000000000` })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/pods', undefined, { token: 'garbage' })).status).toBe(401);
  });

  it('a viewer reads but cannot write, and cannot read secrets', async () => {
    const viewer = await h.server.tokens.create({ user: 'alice', roles: ['viewer'] });
    expect((await h.call('GET', '/api/v1/namespaces/default/pods', undefined, { token: viewer })).status).toBe(200);
    const w = await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('by-viewer'), { token: viewer });
    expect(w.status).toBe(403);
    expect(w.body.message).toContain('User "alice" cannot create');
    expect((await h.call('GET', '/api/v1/namespaces/default/secrets', undefined, { token: viewer })).status).toBe(403);
  });

  it('a revoked token stops working at once', async () => {
    const t = await h.server.tokens.create({ user: 'temp', roles: ['admin'] });
    expect((await h.call('GET', '/api/v1/pods', undefined, { token: t })).status).toBe(200);
    await h.server.tokens.revoke(t.split('.')[0]!);
    expect((await h.call('GET', '/api/v1/pods', undefined, { token: t })).status).toBe(401);
  });
});

describe('bad input', () => {
  it('malformed JSON is a 400 naming the position, and nothing is stored', async () => {
    const before = (await h.call('GET', '/api/v1/namespaces/default/configmaps')).body.items.length;
    const r = await h.call('POST', '/api/v1/namespaces/default/configmaps', undefined, { raw: '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {"name": "x"\n}', contentType: 'application/json' });
    expect(r.status).toBe(400);
    expect(r.body.reason).toBe('BadRequest');
    expect(r.body.message).toMatch(/line \d+|:\d+:\d+/);
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps')).body.items.length).toBe(before);
  });

  it('accepts YAML bodies, and reports YAML errors with their position', async () => {
    const ok = await h.call('POST', '/api/v1/namespaces/default/configmaps', undefined, { raw: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n', contentType: 'application/yaml' });
    expect(ok.status).toBe(201);
    expect(ok.body.data).toEqual({ k: 'v' });
    const bad = await h.call('POST', '/api/v1/namespaces/default/configmaps', undefined, { raw: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n', contentType: 'application/yaml' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/\d+:\d+|line/);
  });

  it('an oversized body is 413 RequestEntityTooLarge', async () => {
    const big = configMap('big', { blob: 'x'.repeat(100 * 1024) });
    const r = await h.call('POST', '/api/v1/namespaces/default/configmaps', big);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/big')).status).toBe(404);
  });

  it('an unknown resource or API version is a 404 Status', async () => {
    const r = await h.call('GET', '/api/v1/namespaces/default/widgets');
    expect(r.status).toBe(404);
    expect(r.body.message).toContain('widgets');
    expect((await h.call('GET', '/apis/apps/v2/deployments')).status).toBe(404);
    expect((await h.call('GET', '/nothing/here')).body.kind).toBe('Status');
  });

  it('an unsupported content type is 415', async () => {
    const r = await h.call('POST', '/api/v1/namespaces/default/configmaps', undefined, { raw: 'a=b', contentType: 'text/plain' });
    expect(r.status).toBe(415);
  });

  it('a bad resourceVersion is a 400 naming the field', async () => {
    const c = await h.call('POST', '/api/v1/namespaces/default/pods', pod('rv-bad'));
    const r = await h.call('PUT', '/api/v1/namespaces/default/pods/rv-bad', { ...c.body, metadata: { ...c.body.metadata, resourceVersion: 'abc' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('metadata.resourceVersion');
  });
});

describe('discovery and metrics', () => {
  it('serves discovery documents', async () => {
    const v1 = await h.call('GET', '/api/v1');
    expect(v1.body.kind).toBe('APIResourceList');
    expect(v1.body.resources.find((r: any) => r.name === 'pods')).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'] });
    const apps = await h.call('GET', '/apis/apps/v1');
    expect(apps.body.resources.map((r: any) => r.name)).toContain('deployments');
  });

  it('exposes Prometheus metrics to authenticated callers', async () => {
    await h.call('GET', '/api/v1/namespaces/default/pods');
    expect((await h.call('GET', '/metrics', undefined, { token: null })).status).toBe(401);
    const m = await h.call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('bramble_apiserver_requests_total{verb="list",resource="pods",code="200"}');
    expect(m.body).toContain('bramble_apiserver_request_duration_seconds_bucket');
    expect(m.body).toMatch(/bramble_store_revision \d+/);
    expect(m.body).toContain('bramble_apiserver_watchers');
  });
});
