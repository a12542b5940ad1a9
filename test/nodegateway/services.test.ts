// Services to nodes: every node gets every Service with its ready endpoints on hello, then one
// delta per changed Service; the messages pass the protocol's strict schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/protocol/codec.js';
import { FakeNode, startEnv, until, type Env } from './env.js';

let env: Env;

const call = (method: string, path: string, body?: unknown) => env.h.call(method, path, body);

function servicesOf(n: FakeNode, type?: string): any[] {
  return n.received.filter((r) => r.topic.endsWith('/services') && (type === undefined || r.msg.type === type)).map((r) => r.msg);
}

const svc = (name: string, ns = 'default', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns },
  spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }], ...extra },
});
const eps = (name: string, ips: string[], ns = 'default') => ({
  apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns },
  subsets: [{
    addresses: ips.map((ip) => ({ ip, nodeName: 'pi-9', targetRef: { kind: 'Pod', name: 'x', namespace: ns } })),
    notReadyAddresses: [{ ip: '10.9.9.9' }],
    ports: [{ name: 'http', port: 31001, protocol: 'TCP' }, { name: 'dns', port: 31002, protocol: 'UDP' }],
  }],
});

beforeAll(async () => {
  env = await startEnv({ presenceGraceMs: 5000 });
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  expect((await call('POST', '/api/v1/namespaces/default/services', svc('web', 'default', { type: 'NodePort', sessionAffinity: 'ClientIP' }))).status).toBe(201);
  expect((await call('POST', '/api/v1/namespaces/default/endpoints', eps('web', ['192.168.1.10', '192.168.1.11']))).status).toBe(201);
  expect((await call('POST', '/api/v1/namespaces/other/services', svc('db', 'other'))).status).toBe(201);
});
afterAll(async () => { await env?.stop(); });

describe('services to nodes', () => {
  it('sends every Service with its ready endpoints on hello, pruned, valid against the schema', async () => {
    const n = await env.node('pi-1');
    await n.hello();
    const raw = await until('services.sync', () => n.received.find((r) => r.topic.endsWith('/services')));
    const sync = decode('services', encode(raw.msg)) as { type: string };
    expect(sync.type).toBe('services.sync');
    const msg = raw.msg;
    expect(msg.services.map((s: any) => `${s.namespace}/${s.name}`)).toEqual(['default/web', 'other/db']);
    const web = msg.services[0];
    expect(web.clusterIP).toMatch(/^10\.96\./);
    expect(web.affinitySeconds).toBe(10_800);
    expect(web.ports.map((p: any) => p.name)).toEqual(['http', 'dns']);
    expect(web.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(web.ports[0].proxyPort).toBeGreaterThanOrEqual(20000);
    expect(web.ports[0].endpoints).toEqual([{ ip: '192.168.1.10', port: 31001, nodeName: 'pi-9' }, { ip: '192.168.1.11', port: 31001, nodeName: 'pi-9' }]);
    expect(web.ports[1].endpoints.map((e: any) => e.port)).toEqual([31002, 31002]);
    expect(JSON.stringify(web)).not.toContain('10.9.9.9'); // not-ready addresses stay on the master
    expect(JSON.stringify(web)).not.toContain('targetRef');
    expect(msg.services[1].ports.every((p: any) => p.endpoints.length === 0)).toBe(true);
  });

  it('sends one upsert per changed Service (Endpoints too), and a delete when it goes', async () => {
    const n = await env.node('pi-2');
    await n.hello();
    await until('sync', () => servicesOf(n, 'services.sync')[0]);
    expect((await call('PUT', '/api/v1/namespaces/other/endpoints/db', eps('db', ['192.168.1.20'], 'other'))).status).toBe(404);
    expect((await call('POST', '/api/v1/namespaces/other/endpoints', eps('db', ['192.168.1.20'], 'other'))).status).toBe(201);
    const up = await until('upsert', () => servicesOf(n, 'services.upsert').find((m) => m.service.name === 'db'));
    expect(up.service.ports[0].endpoints).toEqual([{ ip: '192.168.1.20', port: 31001, nodeName: 'pi-9' }]);
    expect((decode('services', encode(up)) as { type: string }).type).toBe('services.upsert');

    expect((await call('DELETE', '/api/v1/namespaces/other/services/db')).status).toBe(200);
    const del = await until('delete', () => servicesOf(n, 'services.delete')[0]);
    expect(del).toMatchObject({ namespace: 'other', name: 'db' });
    // The other node, synced earlier, got the same deltas.
    const first = env.nodes[0]!;
    await until('delta on pi-1', () => servicesOf(first, 'services.delete')[0]);
  });

  it('does not resend a Service whose rewrite changes nothing a node uses', async () => {
    const n = env.nodes[1]!;
    const before = servicesOf(n).length;
    const cur = (await call('GET', '/api/v1/namespaces/default/services/web')).body as any;
    cur.metadata.labels = { touched: 'yes' };
    expect((await call('PUT', '/api/v1/namespaces/default/services/web', cur)).status).toBe(200);
    // A change a node does act on, after it: once it arrives, the label-only write was not sent.
    expect((await call('POST', '/api/v1/namespaces/default/services', svc('late'))).status).toBe(201);
    await until('late', () => servicesOf(n, 'services.upsert').find((m) => m.service.name === 'late'));
    expect(servicesOf(n).slice(before).map((m) => m.service?.name)).toEqual(['late']);
  });

  it('a reconnecting node gets the full set again', async () => {
    const n = env.nodes[0]!;
    const syncs = servicesOf(n, 'services.sync').length;
    await n.hello();
    await until('second sync', () => servicesOf(n, 'services.sync').length > syncs);
    const last = servicesOf(n, 'services.sync').at(-1);
    expect(last.services.map((s: any) => s.name)).toEqual(['late', 'web']);
  });
});
