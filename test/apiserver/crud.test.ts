import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, pod, startHarness, type Harness } from './harness.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/log/logger.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

const pods = '/api/v1/namespaces/default/pods';

describe('create and get', () => {
  it('creates a pod with server-set metadata and defaults', async () => {
    const r = await h.call('POST', pods, pod('create-1'));
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.namespace).toBe('default');
    expect(r.body.metadata.creationTimestamp).toMatch(/Z$/);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(r.body.spec.restartPolicy).toBe('Always');
    expect(r.body.status.phase).toBe('Pending');
    const g = await h.call('GET', `${pods}/create-1`);
    expect(g.status).toBe(200);
    expect(g.body).toEqual(r.body);
  });

  it('ignores server-owned fields sent by the client', async () => {
    const body = pod('create-2');
    (body.metadata as any).uid = 'forged';
    (body.metadata as any).resourceVersion = '999999';
    const r = await h.call('POST', pods, body);
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).not.toBe('forged');
  });

  it('generates names from generateName', async () => {
    const body = pod('');
    (body.metadata as any) = { generateName: 'gen-' };
    const a = await h.call('POST', pods, body);
    const b = await h.call('POST', pods, body);
    expect(a.status).toBe(201);
    expect(a.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(b.body.metadata.name).not.toBe(a.body.metadata.name);
  });

  it('refuses a duplicate with 409 AlreadyExists', async () => {
    await h.call('POST', pods, pod('dup'));
    const r = await h.call('POST', pods, pod('dup'));
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
    expect(r.body.message).toContain('pods "dup" already exists');
  });

  it('returns 404 NotFound as a Status', async () => {
    const r = await h.call('GET', `${pods}/nope`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, details: { name: 'nope', kind: 'pods' } });
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const r = await h.call('POST', '/api/v1/namespaces/ghost/pods', pod('p'));
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "ghost" not found');
  });

  it('refuses a body whose namespace disagrees with the URL', async () => {
    const body = pod('nsx');
    (body.metadata as any).namespace = 'bramble-system';
    const r = await h.call('POST', pods, body);
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('does not match the namespace');
  });

  it('rejects invalid names with 422 naming the field', async () => {
    const r = await h.call('POST', pods, pod('Bad_Name'));
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.details.causes.map((c: any) => c.field)).toContain('metadata.name');
  });

  it('rejects an invalid field deep in the spec, naming its path', async () => {
    const body = pod('badport');
    (body.spec as any).containers[0].ports = [{ containerPort: 70000 }];
    const r = await h.call('POST', pods, body);
    expect(r.status).toBe(422);
    expect(r.body.details.causes.map((c: any) => c.field)).toContain('spec.containers[0].ports[0].containerPort');
  });

  it('reports unknown fields (strict by default), warns or ignores on request', async () => {
    const body = pod('unknown-1');
    (body.spec as any).containers[0].imagee = 'typo';
    const strict = await h.call('POST', pods, body);
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.containers[0].imagee"');
    expect((await h.call('GET', `${pods}/unknown-1`)).status).toBe(404);

    const warn = await h.call('POST', `${pods}?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toContain('spec.containers[0].imagee');
    expect(warn.body.spec.containers[0].imagee).toBeUndefined();
  });

  it('refuses a body of the wrong kind for the path', async () => {
    const r = await h.call('POST', pods, configMap('cm-as-pod'));
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('this path serves v1 Pod');
  });

  it('serves cluster-scoped and apps resources', async () => {
    const ns = await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    expect(ns.status).toBe(201);
    expect(ns.body.status.phase).toBe('Active');
    const d = await h.call('POST', '/apis/apps/v1/namespaces/team-a/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    });
    expect(d.status).toBe(201);
    expect(d.body.spec.replicas).toBe(1);
    expect(d.body.metadata.generation).toBe(1);
    const all = await h.call('GET', '/apis/apps/v1/deployments');
    expect(all.body.kind).toBe('DeploymentList');
    expect(all.body.items.map((i: any) => i.metadata.name)).toContain('web');
  });
});

describe('update', () => {
  it('PUT with a stale resourceVersion is a 409 Conflict; with the current one it applies', async () => {
    const c = await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('upd-1'));
    const v1 = c.body;
    const ok = await h.call('PUT', '/api/v1/namespaces/default/configmaps/upd-1', { ...v1, data: { a: '2' } });
    expect(ok.status).toBe(200);
    expect(Number(ok.body.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
    const stale = await h.call('PUT', '/api/v1/namespaces/default/configmaps/upd-1', { ...v1, data: { a: '3' } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/upd-1')).body.data.a).toBe('2');
  });

  it('bumps generation on spec changes only and keeps status on the main resource', async () => {
    const c = await h.call('POST', pods, pod('gen-pod'));
    const withStatus = await h.call('PUT', `${pods}/gen-pod/status`, { ...c.body, status: { phase: 'Running', podIP: '10.0.0.9' } });
    expect(withStatus.status).toBe(200);
    expect(withStatus.body.status.phase).toBe('Running');
    expect(withStatus.body.metadata.generation).toBe(1);
    const cur = withStatus.body;
    const relabel = await h.call('PUT', `${pods}/gen-pod`, { ...cur, metadata: { ...cur.metadata, labels: { app: 'web', v: '2' } }, status: { phase: 'Failed' } });
    expect(relabel.status).toBe(200);
    expect(relabel.body.metadata.generation).toBe(1);
    expect(relabel.body.status.phase).toBe('Running');
    const img = structuredClone(relabel.body);
    img.spec.containers[0].image = 'busybox:1.37';
    const r = await h.call('PUT', `${pods}/gen-pod`, img);
    expect(r.status).toBe(200);
    expect(r.body.metadata.generation).toBe(2);
  });

  it('a no-op update keeps the resourceVersion', async () => {
    const c = await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('noop'));
    const r = await h.call('PUT', '/api/v1/namespaces/default/configmaps/noop', c.body);
    expect(r.body.metadata.resourceVersion).toBe(c.body.metadata.resourceVersion);
  });

  it('refuses changes to immutable pod fields', async () => {
    const c = await h.call('POST', pods, pod('immut'));
    const next = structuredClone(c.body);
    next.spec.containers[0].command = ['true'];
    const r = await h.call('PUT', `${pods}/immut`, next);
    expect(r.status).toBe(422);
  });
});

describe('patch', () => {
  it('applies a JSON merge patch', async () => {
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('p1', { a: '1', b: '2' }));
    const r = await h.call('PATCH', '/api/v1/namespaces/default/configmaps/p1', { metadata: { labels: { x: 'y' } }, data: { b: null, c: '3' } });
    expect(r.status).toBe(200);
    expect(r.body.metadata.labels).toEqual({ x: 'y' });
    expect(r.body.data).toEqual({ a: '1', c: '3' });
  });

  it('applies a JSON patch, and a failing test op changes nothing', async () => {
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('p2', { a: '1' }));
    const ok = await h.call('PATCH', '/api/v1/namespaces/default/configmaps/p2', [{ op: 'add', path: '/data/z', value: '26' }], { contentType: 'application/json-patch+json' });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ a: '1', z: '26' });
    const bad = await h.call('PATCH', '/api/v1/namespaces/default/configmaps/p2', [{ op: 'test', path: '/data/a', value: 'nope' }, { op: 'remove', path: '/data/a' }], { contentType: 'application/json-patch+json' });
    expect(bad.status).toBe(422);
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/p2')).body.data).toEqual({ a: '1', z: '26' });
  });

  it('patches status through the subresource only', async () => {
    await h.call('POST', pods, pod('p3'));
    const r = await h.call('PATCH', `${pods}/p3/status`, { status: { phase: 'Running' }, spec: { nodeName: 'sneaky' } });
    expect(r.status).toBe(200);
    expect(r.body.status.phase).toBe('Running');
    expect(r.body.spec.nodeName).toBeUndefined();
  });

  it('refuses strategic merge patch with 415 and a hint', async () => {
    const r = await h.call('PATCH', '/api/v1/namespaces/default/configmaps/p1', { data: {} }, { contentType: 'application/strategic-merge-patch+json' });
    expect(r.status).toBe(415);
    expect(r.body.message).toContain('merge-patch+json');
  });
});

describe('delete', () => {
  it('deletes a configmap and returns it', async () => {
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('d1'));
    const r = await h.call('DELETE', '/api/v1/namespaces/default/configmaps/d1');
    expect(r.status).toBe(200);
    expect(r.body.metadata.name).toBe('d1');
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/d1')).status).toBe(404);
  });

  it('deletes an unscheduled pod at once, and gives a pod on a node its grace period', async () => {
    await h.call('POST', pods, pod('d-unsched'));
    expect((await h.call('DELETE', `${pods}/d-unsched`)).status).toBe(200);
    expect((await h.call('GET', `${pods}/d-unsched`)).status).toBe(404);

    const body = pod('d-bound');
    (body.spec as any).nodeName = 'pi-1';
    (body.spec as any).terminationGracePeriodSeconds = 20;
    await h.call('POST', pods, body);
    const marked = await h.call('DELETE', `${pods}/d-bound`);
    expect(marked.status).toBe(202);
    expect(marked.body.metadata.deletionTimestamp).toBeDefined();
    expect(marked.body.metadata.deletionGracePeriodSeconds).toBe(20);
    expect((await h.call('GET', `${pods}/d-bound`)).status).toBe(200);
    // The node confirms the containers stopped: a zero-grace delete removes it.
    expect((await h.call('DELETE', `${pods}/d-bound?gracePeriodSeconds=0`)).status).toBe(200);
    expect((await h.call('GET', `${pods}/d-bound`)).status).toBe(404);
  });

  it('honours finalizers: marked first, removed when the last finalizer goes', async () => {
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('fin', { a: '1' }, { finalizers: ['example.com/hold'] }));
    const marked = await h.call('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    expect(marked.status).toBe(202);
    expect(marked.body.metadata.deletionTimestamp).toBeDefined();
    const r = await h.call('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } });
    expect(r.status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/fin')).status).toBe(404);
  });

  it('checks delete preconditions', async () => {
    const c = await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('d-pre'));
    const r = await h.call('DELETE', '/api/v1/namespaces/default/configmaps/d-pre', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } });
    expect(r.status).toBe(409);
    const ok = await h.call('DELETE', '/api/v1/namespaces/default/configmaps/d-pre', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: c.body.metadata.uid } });
    expect(ok.status).toBe(200);
  });

  it('deletes a collection by label selector', async () => {
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('col-1', {}, { labels: { batch: 'x' } }));
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('col-2', {}, { labels: { batch: 'x' } }));
    await h.call('POST', '/api/v1/namespaces/default/configmaps', configMap('col-3', {}, { labels: { batch: 'y' } }));
    const r = await h.call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=batch%3Dx');
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: any) => i.metadata.name).sort()).toEqual(['col-1', 'col-2']);
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/col-3')).status).toBe(200);
  });
});

describe('list and selectors', () => {
  beforeAll(async () => {
    await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } });
    for (const [name, app, node] of [['s1', 'web', 'pi-1'], ['s2', 'web', 'pi-2'], ['s3', 'db', 'pi-1']] as const) {
      const b = pod(name);
      (b.metadata as any).labels = { app };
      (b.spec as any).nodeName = node;
      await h.call('POST', '/api/v1/namespaces/sel/pods', b);
    }
  });
  const names = (r: any) => r.body.items.map((i: any) => i.metadata.name).sort();

  it('filters by label selector', async () => {
    expect(names(await h.call('GET', '/api/v1/namespaces/sel/pods?labelSelector=app%3Dweb'))).toEqual(['s1', 's2']);
    expect(names(await h.call('GET', '/api/v1/namespaces/sel/pods?labelSelector=app%20notin%20(web)'))).toEqual(['s3']);
  });

  it('filters by field selector', async () => {
    expect(names(await h.call('GET', '/api/v1/namespaces/sel/pods?fieldSelector=spec.nodeName%3Dpi-1'))).toEqual(['s1', 's3']);
    expect(names(await h.call('GET', '/api/v1/pods?fieldSelector=metadata.namespace%3Dsel,metadata.name!%3Ds1'))).toEqual(['s2', 's3']);
    const bad = await h.call('GET', '/api/v1/namespaces/sel/pods?fieldSelector=spec.bogus%3D1');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('spec.bogus');
  });

  it('rejects a malformed label selector', async () => {
    const r = await h.call('GET', '/api/v1/namespaces/sel/pods?labelSelector=a%20in%20(');
    expect(r.status).toBe(400);
  });

  it('pages with limit and continue', async () => {
    const p1 = await h.call('GET', '/api/v1/namespaces/sel/pods?limit=2');
    expect(p1.body.items).toHaveLength(2);
    expect(p1.body.metadata.continue).toBeTruthy();
    const p2 = await h.call('GET', `/api/v1/namespaces/sel/pods?limit=2&continue=${p1.body.metadata.continue}`);
    expect(p2.body.items.map((i: any) => i.metadata.name)).toEqual(['s3']);
    expect(p2.body.metadata.continue).toBeUndefined();
  });
});

describe('namespaces', () => {
  it('deleting a namespace marks it Terminating with the kubernetes finalizer and refuses new content; removing the finalizer removes it', async () => {
    await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'marked' } });
    const r = await h.call('DELETE', '/api/v1/namespaces/marked');
    expect(r.status).toBe(202);
    expect(r.body.status.phase).toBe('Terminating');
    expect(r.body.metadata.deletionTimestamp).toBeTruthy();
    expect(r.body.spec.finalizers).toEqual(['kubernetes']);
    const refused = await h.call('POST', '/api/v1/namespaces/marked/configmaps', configMap('late'));
    expect(refused.status).toBe(403);
    // Emptying is the namespace controller's job (none runs here): the namespace waits for it.
    expect((await h.call('GET', '/api/v1/namespaces/marked')).body.status.phase).toBe('Terminating');
    const ns = (await h.call('GET', '/api/v1/namespaces/marked')).body;
    const done = await h.call('PUT', '/api/v1/namespaces/marked', { ...ns, spec: { finalizers: [] } });
    expect(done.status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces/marked')).status).toBe(404);
  });

  it('with the namespace controller, deleting a namespace removes everything in it, then the namespace', async () => {
    const manager = new ControllerManager({ api: new LocalApiClient(h.server.resources, h.store), logger: silentLogger(), only: ['namespace'] });
    await manager.start();
    try {
      await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
      await h.call('POST', '/api/v1/namespaces/doomed/configmaps', configMap('c'));
      await h.call('POST', '/api/v1/namespaces/doomed/pods', pod('p'));
      const r = await h.call('DELETE', '/api/v1/namespaces/doomed');
      expect(r.status).toBe(202);
      expect(r.body.status.phase).toBe('Terminating');
      for (let i = 0; i < 100; i++) {
        if ((await h.call('GET', '/api/v1/namespaces/doomed')).status === 404) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect((await h.call('GET', '/api/v1/namespaces/doomed')).status).toBe(404);
      expect((await h.call('GET', '/api/v1/namespaces/doomed/configmaps/c')).status).toBe(404);
      expect((await h.call('GET', '/api/v1/namespaces/doomed/pods/p')).status).toBe(404);
    } finally {
      await manager.stop();
    }
  });

  it('the default namespace may not be deleted', async () => {
    const r = await h.call('DELETE', '/api/v1/namespaces/default');
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe('Forbidden');
  });
});

describe('services', () => {
  it('a PUT without the allocated clusterIP keeps it', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-keep' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], clusterIP: '10.96.0.10' } };
    const c = await h.call('POST', '/api/v1/namespaces/default/services', svc);
    expect(c.status).toBe(201);
    const r = await h.call('PUT', '/api/v1/namespaces/default/services/svc-keep', { ...svc, spec: { selector: { app: 'web', v: '2' }, ports: [{ port: 80 }] } });
    expect(r.status).toBe(200);
    expect(r.body.spec.clusterIP).toBe('10.96.0.10');
    expect(r.body.spec.selector).toEqual({ app: 'web', v: '2' });
  });
});
