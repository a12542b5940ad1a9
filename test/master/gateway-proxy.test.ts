// The master's own proxy, for real: a master in this process with `--proxy-mode userspace`, a
// selector-less NodePort Service whose hand-written Endpoints point at a local HTTP server, and
// a LoadBalancer Service on the gateway's address. Requests through both are answered, and the
// counters (the gateway's and a node's reported ones) show in /metrics.
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { SyntheticStatusSource, syntheticFacts } from '../../src/agent/status/source.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { UserspaceProxy } from '../../src/proxy/userspace/backend.js';
import { silentLogger } from '../../src/log/logger.js';
import { advertiseAddress, pinnedAddress } from '../../src/master/advertise.js';
import { startMaster, type RunningMaster } from '../../src/master/master.js';
import { until } from '../helpers/poll.js';

let master: RunningMaster;
let dir: string;
let token: string;
let backend: http.Server;
let backendPort: number;

async function api(method: string, p: string, body?: unknown): Promise<any> {
  const r = await fetch(`${master.apiUrl}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text.startsWith('{') ? JSON.parse(text) : text;
}

/** GET through a proxy; undefined while it is not (yet) served. */
async function get(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  try {
    const r = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(2000) });
    return await r.text();
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  backend = http.createServer((_req, res) => res.end('hello through the gateway'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as net.AddressInfo).port;
  dir = await mkdtemp(path.join(os.tmpdir(), 'bramble-gwproxy-'));
  master = await startMaster({
    dataDir: dir, apiPort: 0, mqttPort: 0, logger: silentLogger(),
    proxyMode: 'userspace', advertiseAddress: '127.0.0.1', serviceRanges: { nodePortRange: '32600-32699' },
  });
  token = (await loadKubeconfig(master.kubeconfigPath)).token!;
});
afterAll(async () => {
  await master?.stop();
  await new Promise<void>((r) => backend?.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ns = '/api/v1/namespaces/default';
const endpoints = (name: string) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: backendPort }] }] });

describe('the gateway proxy (userspace)', () => {
  it('serves a NodePort on the gateway, with hand-written Endpoints', async () => {
    const svc = await api('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    await api('POST', `${ns}/endpoints`, endpoints('web'));
    const nodePort = svc.spec.ports[0].nodePort as number;
    expect(nodePort).toBeGreaterThanOrEqual(32600);
    expect(await until('the NodePort answers', () => get(nodePort))).toBe('hello through the gateway');
  });

  it('serves a LoadBalancer Service at its ingress address and port', async () => {
    const port = await freePort();
    await api('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port }] } });
    await api('POST', `${ns}/endpoints`, endpoints('lb'));
    const ingress = await until('ingress', async () => (await api('GET', `${ns}/services/lb`)).status?.loadBalancer?.ingress);
    expect(ingress).toEqual([{ ip: '127.0.0.1', ipMode: 'Proxy' }]);
    expect(await until('the LoadBalancer answers', () => get(port))).toBe('hello through the gateway');
  });

  it('shows per service counters in /metrics: the gateway\'s own and a node\'s reports', async () => {
    const text = await api('GET', '/metrics') as string;
    const line = text.split('\n').find((l) => l.startsWith('bramble_proxy_connections_total{') && l.includes('service="default/web"') && l.includes('node="(gateway)"'));
    expect(Number(line?.split(' ').at(-1))).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/bramble_proxy_bytes_out_total\{service="default\/web",port="",node="\(gateway\)"\} [1-9]/);
    expect(text).toContain('bramble_proxy_mode{node="(gateway)",mode="userspace"} 1');

    // A node reports cumulative counters on its proxy leaf; a restart (new `since`) starts again at 0.
    const nodeToken = await master.tokens.create({ user: 'system:node:pi-1', roles: ['node'], node: 'pi-1', description: 'test' });
    const c = await mqtt.connectAsync(master.mqttUrl, { clientId: 'bramble-agent-pi-1', username: 'pi-1', password: nodeToken, reconnectPeriod: 0 });
    const report = (since: string, connections: number) => JSON.stringify({ v: 1, type: 'proxy', mode: 'iptables', since, services: [{ key: 'default/web:', connections, bytesIn: 10, bytesOut: 20, failed: 0 }] });
    await c.publishAsync('bramble/v1/nodes/pi-1/proxy', report('a', 5), { qos: 1 });
    await c.publishAsync('bramble/v1/nodes/pi-1/proxy', report('a', 7), { qos: 1 });
    await c.publishAsync('bramble/v1/nodes/pi-1/proxy', report('b', 2), { qos: 1 });
    const want = 'bramble_proxy_connections_total{service="default/web",port="",node="pi-1"} 9';
    await until('node counters in /metrics', async () => ((await api('GET', '/metrics')) as string).includes(want) || undefined);
    expect(await api('GET', '/metrics')).toContain('bramble_proxy_mode{node="pi-1",mode="iptables"} 1');
    // The service port leaves the node's proxy: its series go.
    await c.publishAsync('bramble/v1/nodes/pi-1/proxy', JSON.stringify({ v: 1, type: 'proxy', mode: 'iptables', since: 'b', services: [] }), { qos: 1 });
    await until('node series removed', async () => (((await api('GET', '/metrics')) as string).includes('node="pi-1"} ') ? undefined : true));
    await c.endAsync(true);
  });
});

describe('a node\'s proxy, fed over MQTT by the master', () => {
  it('serves the NodePort on the node\'s address, and its counters reach the master\'s /metrics', async () => {
    const node = 'pi-7';
    const nodeIP = '127.0.0.7'; // all of 127/8 is local on Linux: a "node" of its own address
    const nodeToken = await master.tokens.create({ user: `system:node:${node}`, roles: ['node'], node, description: 'test' });
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bramble-gwproxy-agent-'));
    const logger = silentLogger();
    const agent = new Agent({
      nodeName: node, mqtt: { url: master.mqttUrl, username: node, password: nodeToken }, runtime: new FakeRuntime(),
      status: new SyntheticStatusSource(syntheticFacts(node), { cpuPercent: 5, memoryUsedBytes: 2 ** 29, memoryAvailableBytes: 2 ** 31 }),
      stateDir, logger, nodeIP,
      proxy: { backend: new UserspaceProxy({ nodeAddresses: [nodeIP], serviceAddress: nodeIP, logger }), envTarget: { mode: 'userspace', address: nodeIP } },
    });
    try {
      await agent.start();
      const nodePort = (await api('GET', `${ns}/services/web`)).spec.ports[0].nodePort as number;
      expect(await until('the NodePort answers on the node', () => get(nodePort, nodeIP))).toBe('hello through the gateway');
      await agent.proxy!.report(true);
      const want = new RegExp(`bramble_proxy_connections_total\\{service="default/web",port="",node="${node}"\\} [1-9]`);
      await until('the node\'s counters in /metrics', async () => (want.test(await api('GET', '/metrics') as string) ? true : undefined));
    } finally {
      await agent.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('advertised and pinned addresses', () => {
  const ifs = { lo: [{ family: 'IPv4', internal: true, address: '127.0.0.1' }], eth0: [{ family: 'IPv6', internal: false, address: 'fe80::1' }, { family: 'IPv4', internal: false, address: '192.168.1.10' }] };
  it.each([
    ['explicit wins', '10.0.0.5', '0.0.0.0', '10.0.0.5', '10.0.0.5'],
    ['a LAN bind address', undefined, '192.168.1.2', '192.168.1.2', '192.168.1.2'],
    ['0.0.0.0: the first non-internal IPv4; NodePorts everywhere', undefined, '0.0.0.0', '192.168.1.10', undefined],
    ['loopback bind: the same', undefined, '127.0.0.1', '192.168.1.10', undefined],
  ])('%s', (_what, explicit, bind, advertised, pinned) => {
    expect(advertiseAddress(explicit, bind, ifs)).toBe(advertised);
    expect(pinnedAddress(explicit, bind)).toBe(pinned);
  });
  it('no LAN interface at all: loopback', () => expect(advertiseAddress(undefined, undefined, { lo: ifs.lo })).toBe('127.0.0.1'));
});
