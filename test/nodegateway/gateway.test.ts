// The node gateway against a scripted fake node (a plain mqtt.js client speaking the protocol).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNode, startEnv, statusReport, until, type Env } from './env.js';

let env: Env;

const call = (method: string, path: string, body?: unknown) => env.h.call(method, path, body);

function podWith(name: string, nodeName: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{
        name: 'app', image: 'busybox',
        env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'greeting' } } }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'pw', key: 'password' } } }],
        envFrom: [{ configMapRef: { name: 'from-cm' } }],
      }],
      volumes: [{ name: 'conf', configMap: { name: 'vol-cm' } }, { name: 'sec', secret: { secretName: 'vol-secret' } }],
      ...extra,
    },
  };
}

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const secret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data });

beforeAll(async () => {
  env = await startEnv({ presenceGraceMs: 1500 });
  for (const c of [cm('env-cm', { greeting: 'hi' }), cm('from-cm', { A: '1' }), cm('vol-cm', { 'f.conf': 'x' }), cm('unrelated', { z: '0' })]) {
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', c)).status).toBe(201);
  }
  for (const s of [secret('pw', { password: 'c2VjcmV0' }), secret('vol-secret', { k: 'dg==' })]) {
    expect((await call('POST', '/api/v1/namespaces/default/secrets', s)).status).toBe(201);
  }
  expect((await call('POST', '/api/v1/namespaces/default/pods', podWith('web-1', 'pi-1'))).status).toBe(201);
  expect((await call('POST', '/api/v1/namespaces/default/pods', podWith('web-2', 'pi-2'))).status).toBe(201);
  expect((await call('POST', '/api/v1/namespaces/default/pods', podWith('pending', undefined))).status).toBe(201);
});
afterAll(async () => { await env?.stop(); });

describe('desired state', () => {
  it('sends a full sync on hello with the node\'s pods and the ConfigMaps/Secrets they use', async () => {
    const n = await env.node('pi-1');
    await n.hello();
    const sync = await until('sync', () => n.desired('sync')[0]);
    expect(sync.revision).toBeGreaterThan(0);
    expect(sync.pods.map((b: any) => b.pod.metadata.name)).toEqual(['web-1']);
    const b = sync.pods[0];
    expect(b.configMaps.map((c: any) => c.metadata.name).sort()).toEqual(['env-cm', 'from-cm', 'vol-cm']);
    expect(b.secrets.map((s: any) => s.metadata.name).sort()).toEqual(['pw', 'vol-secret']);
    expect(b.secrets.find((s: any) => s.metadata.name === 'pw').data).toEqual({ password: 'c2VjcmV0' });
  });

  it('sends upserts and deletes as pods change, and re-sends bundles whose ConfigMap changed', async () => {
    const n = env.nodes[0]!;
    const before = n.received.length;
    expect((await call('POST', '/api/v1/namespaces/default/pods', podWith('web-3', 'pi-1'))).status).toBe(201);
    const up = await until('upsert web-3', () => n.desired('upsert').find((m) => m.bundle.pod.metadata.name === 'web-3'));
    expect(up.revision).toBeGreaterThan(0);
    const upserts = n.desired('upsert').length;
    await call('PATCH', '/api/v1/namespaces/default/configmaps/env-cm', { data: { greeting: 'hello' } });
    await until('upserts after the ConfigMap change', () => n.desired('upsert').length >= upserts + 2);
    const latest = n.desired('upsert').slice(-2);
    expect(latest.map((m) => m.bundle.pod.metadata.name).sort()).toEqual(['web-1', 'web-3']);
    expect(latest[0].bundle.configMaps.find((c: any) => c.metadata.name === 'env-cm').data).toEqual({ greeting: 'hello' });
    expect(latest[0].revision).toBeGreaterThan(up.revision);
    // A ConfigMap no pod uses changes nothing; a pod status write does not echo back either.
    const count = n.desired().length;
    await call('PATCH', '/api/v1/namespaces/default/configmaps/unrelated', { data: { z: '1' } });
    await call('PATCH', '/api/v1/namespaces/default/pods/web-3/status', { status: { phase: 'Running' } });
    // Unscheduled → bound to pi-2 goes to pi-2 only.
    await call('DELETE', '/api/v1/namespaces/default/pods/web-3?gracePeriodSeconds=0');
    const del = await until('delete web-3', () => n.desired('delete').find((m) => m.name === 'web-3'));
    expect(del).toMatchObject({ namespace: 'default', name: 'web-3', uid: up.bundle.pod.metadata.uid });
    expect(n.desired().length).toBe(count + 1);
    expect(n.received.slice(before).every((r) => r.topic.startsWith('bramble/v1/nodes/pi-1/'))).toBe(true);
  });

  it('a reconnecting node gets the full state again', async () => {
    const n = env.nodes[0]!;
    const syncs = n.desired('sync').length;
    await n.hello();
    const sync = await until('second sync', () => n.desired('sync')[syncs]);
    expect(sync.pods.map((b: any) => b.pod.metadata.name)).toEqual(['web-1']);
  });
});

describe('node reports', () => {
  it('registers the node from its status, then merges labels and keeps user-set ones', async () => {
    const n = env.nodes[0]!;
    await n.send('status', statusReport({ 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'pi4' }));
    const created = await until('node pi-1', async () => { const r = await call('GET', '/api/v1/nodes/pi-1'); return r.status === 200 && r.body.status?.conditions ? r.body : undefined; });
    expect(created.metadata.labels).toEqual({ 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'pi4' });
    expect(created.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
    await call('PATCH', '/api/v1/nodes/pi-1', { metadata: { labels: { zone: 'attic' } }, spec: { taints: [{ key: 'dedicated', value: 'cam', effect: 'NoSchedule' }] } });
    await n.send('status', { ...statusReport({ 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'pi4b' }), taints: [{ key: 'bramble.dev/low-memory', effect: 'PreferNoSchedule' }] });
    const updated = await until('labels merged', async () => { const r = await call('GET', '/api/v1/nodes/pi-1'); return r.body.metadata.labels['bramble.dev/model'] === 'pi4b' && r.body.spec?.taints?.length === 2 ? r.body : undefined; });
    expect(updated.metadata.labels).toEqual({ 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'pi4b', zone: 'attic' });
    expect(updated.spec.taints.map((t: any) => t.key)).toEqual(['dedicated', 'bramble.dev/low-memory']);
  });

  it('writes pod status for its own pods only', async () => {
    const n = env.nodes[0]!;
    const web1 = (await call('GET', '/api/v1/namespaces/default/pods/web-1')).body;
    const status = { phase: 'Running', podIP: '127.0.0.2', portMappings: [{ containerName: 'app', containerPort: 80, protocol: 'TCP', hostIP: '127.0.0.2', hostPort: 30080 }] };
    await n.send('podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'web-1', uid: web1.metadata.uid, status });
    await until('pod status', async () => (await call('GET', '/api/v1/namespaces/default/pods/web-1')).body.status.phase === 'Running');
    expect((await call('GET', '/api/v1/namespaces/default/pods/web-1')).body.status).toEqual(status);
  });

  it('deletes a terminating pod once its node reports it terminated', async () => {
    const n = env.nodes[0]!;
    const created = (await call('POST', '/api/v1/namespaces/default/pods', podWith('bye', 'pi-1'))).body;
    const del = await call('DELETE', '/api/v1/namespaces/default/pods/bye');
    expect(del.status).toBe(202);
    await n.send('podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'bye', uid: created.metadata.uid, status: { phase: 'Succeeded' }, terminated: true });
    await until('pod gone', async () => (await call('GET', '/api/v1/namespaces/default/pods/bye')).status === 404);
  });

  it('marks the node Ready=Unknown within seconds of its socket dying (Last Will), and a status report sets it back', async () => {
    const n = await env.node('pi-3');
    await n.hello();
    await n.send('status', statusReport({}));
    await until('pi-3 ready', async () => (await call('GET', '/api/v1/nodes/pi-3')).body.status?.conditions?.[0]?.status === 'True');
    (n.client as any).stream.destroy();
    // The Last Will, not the heartbeat grace, must be what flips it (how fast: `npm run bench -- fleet`).
    const ready = await until('Ready Unknown', async () => { const c = (await call('GET', '/api/v1/nodes/pi-3')).body.status.conditions[0]; return c.status === 'Unknown' ? c : undefined; }, 5000);
    expect(ready).toMatchObject({ reason: 'NodeStatusUnknown' });
    expect(ready.message).toMatch(/^presence lost: the node disconnected \(MQTT Last Will\)/);
    const back = await env.node('pi-3');
    await back.hello();
    await back.send('status', statusReport({}));
    await until('Ready True again', async () => (await call('GET', '/api/v1/nodes/pi-3')).body.status.conditions[0].status === 'True');
  });

  it('marks a node that stops sending heartbeats (but keeps its connection) Unknown after the grace', async () => {
    const n = await env.node('pi-4');
    await n.send('status', statusReport({}));
    await until('pi-4 ready', async () => (await call('GET', '/api/v1/nodes/pi-4')).body.status?.conditions?.[0]?.status === 'True');
    const t0 = Date.now();
    const c = await until('Unknown by heartbeat', async () => { const x = (await call('GET', '/api/v1/nodes/pi-4')).body.status.conditions[0]; return x.status === 'Unknown' ? x : undefined; }, 6000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(c.message).toMatch(/presence lost: no heartbeat/);
  });

  const nodeReady = async (name: string): Promise<string | undefined> => (await call('GET', `/api/v1/nodes/${name}`)).body.status?.conditions?.[0]?.status;
  const resends = (n: FakeNode): number => n.desired('resend').length;
  /** The gateway's decisions to ask `node` for its pod statuses (logged where it sends the request). */
  const asked = (node: string): number => env.logs.filter((l) => l.node === node && l.msg === 'node reachable again without reconnecting: asking for every pod status').length;
  let fences = 0;
  /**
   * Resolves once the gateway has handled every report `n` sent before: a node's reports are
   * handled in order, and this one changes a label, so it is written (and asks for nothing).
   */
  const handled = async (n: FakeNode): Promise<void> => {
    const fence = String(++fences);
    await n.send('status', statusReport({ fence }));
    await until('fence written', async () => (await call('GET', `/api/v1/nodes/${n.name}`)).body.metadata?.labels?.fence === fence);
  };

  it('asks a node it had marked Unknown that reports again without reconnecting for every pod status, once its Ready is written back', async () => {
    const n = await env.node('pi-5');
    await n.hello();
    await n.send('status', statusReport({}));
    await until('pi-5 ready', async () => (await nodeReady('pi-5')) === 'True');
    // Silent past the grace, same connection (a link cut the broker has not noticed yet).
    await until('pi-5 Unknown', async () => (await nodeReady('pi-5')) === 'Unknown', 6000);
    expect(resends(n)).toBe(0);
    await n.send('status', statusReport({}));
    await until('resend asked', () => resends(n) === 1);
    // Asked only after the write: the pods' reports it triggers land on a Ready node.
    expect(await nodeReady('pi-5')).toBe('True');
    await n.send('status', statusReport({}));
    await handled(n);
    expect(asked('pi-5')).toBe(1);
    expect(resends(n)).toBe(1);
  });

  it('does not ask a node that reconnected (its hello is followed by every pod status), unless a pod status came ahead of the node status', async () => {
    const n = await env.node('pi-6');
    await n.hello();
    await n.send('status', statusReport({}));
    await until('pi-6 ready', async () => (await nodeReady('pi-6')) === 'True');
    (n.client as any).stream.destroy();
    await until('pi-6 Unknown', async () => (await nodeReady('pi-6')) === 'Unknown');
    const back = await env.node('pi-6');
    await back.hello();
    await back.send('status', statusReport({}));
    await until('pi-6 ready again', async () => (await nodeReady('pi-6')) === 'True');
    await handled(back);
    expect(asked('pi-6')).toBe(0);
    expect(resends(back)).toBe(0);

    // The node status after hello got lost (QoS 0) and a pod status came first: it may have
    // been written while the node was still Unknown, so the status write that follows asks.
    (back.client as any).stream.destroy();
    await until('pi-6 Unknown again', async () => (await nodeReady('pi-6')) === 'Unknown');
    const again = await env.node('pi-6');
    await again.hello();
    await again.send('podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'none-here', uid: 'u-1', status: { phase: 'Running' } });
    await again.send('status', statusReport({}));
    await until('resend asked', () => resends(again) === 1);
  });
});
