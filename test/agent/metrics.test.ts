// The agent's /metrics (--metrics-address): the text it renders, and a real agent with a real
// userspace proxy whose counters move when a TCP connection goes through it.
import net from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { parseHostPort } from '../../src/agent/host-port.js';
import { AgentMetrics, escapeLabel, renderMetrics } from '../../src/agent/metrics.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { SyntheticStatusSource, syntheticFacts } from '../../src/agent/status/source.js';
import { silentLogger } from '../../src/log/logger.js';
import { ProxyMetrics } from '../../src/master/proxy-metrics.js';
import { until } from '../helpers/poll.js';
import type { ProxyReport, ServiceBundle } from '../../src/protocol/messages.js';
import { UserspaceProxy } from '../../src/proxy/userspace/backend.js';
import { ask, freePort, namedServer } from '../proxy/userspace-helpers.js';
import { nodeName, tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const proc = { residentMemoryBytes: 52_000_000, startTimeSeconds: 1_790_000_000, cpuSeconds: 1.25 };
const report = (services: ProxyReport['services']): ProxyReport => ({ v: 1, type: 'proxy', mode: 'userspace', since: '2026-01-01T00:00:00.000Z', services });

/** One sample line's value, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('renderMetrics', () => {
  it('renders the counters per service port, sorted, with HELP and TYPE once per family', () => {
    const text = renderMetrics({
      ...proc, proxy: report([
        { key: 'kube-system/dns:udp', connections: 7, bytesIn: 70, bytesOut: 700, failed: 1 },
        { key: 'default/web:http', connections: 3, bytesIn: 100, bytesOut: 2000, failed: 0 },
        { key: 'default/bare:', connections: 1, bytesIn: 2, bytesOut: 3, failed: 4 },
      ]),
    });
    expect(text).toBe([
      '# HELP bramble_proxy_connections_total Connections (TCP) or flows (UDP) this node\'s service proxy accepted, by service and port',
      '# TYPE bramble_proxy_connections_total counter',
      'bramble_proxy_connections_total{service="default/bare",port=""} 1',
      'bramble_proxy_connections_total{service="default/web",port="http"} 3',
      'bramble_proxy_connections_total{service="kube-system/dns",port="udp"} 7',
      '# HELP bramble_proxy_bytes_in_total Bytes from clients to endpoints through this node\'s service proxy',
      '# TYPE bramble_proxy_bytes_in_total counter',
      'bramble_proxy_bytes_in_total{service="default/bare",port=""} 2',
      'bramble_proxy_bytes_in_total{service="default/web",port="http"} 100',
      'bramble_proxy_bytes_in_total{service="kube-system/dns",port="udp"} 70',
      '# HELP bramble_proxy_bytes_out_total Bytes from endpoints back to clients through this node\'s service proxy',
      '# TYPE bramble_proxy_bytes_out_total counter',
      'bramble_proxy_bytes_out_total{service="default/bare",port=""} 3',
      'bramble_proxy_bytes_out_total{service="default/web",port="http"} 2000',
      'bramble_proxy_bytes_out_total{service="kube-system/dns",port="udp"} 700',
      '# HELP bramble_proxy_failed_connections_total Connections that found no reachable endpoint',
      '# TYPE bramble_proxy_failed_connections_total counter',
      'bramble_proxy_failed_connections_total{service="default/bare",port=""} 4',
      'bramble_proxy_failed_connections_total{service="default/web",port="http"} 0',
      'bramble_proxy_failed_connections_total{service="kube-system/dns",port="udp"} 1',
      '# HELP bramble_proxy_mode The proxy mode this node runs: 1 for its mode',
      '# TYPE bramble_proxy_mode gauge',
      'bramble_proxy_mode{mode="userspace"} 1',
      '# HELP process_resident_memory_bytes Resident memory size in bytes',
      '# TYPE process_resident_memory_bytes gauge',
      'process_resident_memory_bytes 52000000',
      '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds',
      '# TYPE process_start_time_seconds gauge',
      'process_start_time_seconds 1790000000',
      '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds',
      '# TYPE process_cpu_seconds_total counter',
      'process_cpu_seconds_total 1.25',
      '',
    ].join('\n'));
  });

  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    // The decoder refuses such names from the master; the renderer must not trust that.
    const text = renderMetrics({ ...proc, proxy: report([{ key: 'ns/we"ird\\:p\no', connections: 1, bytesIn: 0, bytesOut: 0, failed: 0 }]) });
    expect(text).toContain('bramble_proxy_connections_total{service="ns/we\\"ird\\\\",port="p\\no"} 1\n');
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{(\w+="([^"\\\n]|\\[\\"n])*",?)*\})? [\d.e+-]+)$/);
  });

  it('without a proxy: only the process figures; with no traffic yet: the families, no series', () => {
    expect(renderMetrics({ ...proc, proxy: undefined })).not.toContain('bramble_proxy');
    const idle = renderMetrics({ ...proc, proxy: report([]) });
    expect(idle).toContain('# TYPE bramble_proxy_connections_total counter\n# HELP bramble_proxy_bytes_in_total');
    expect(idle).toContain('bramble_proxy_mode{mode="userspace"} 1');
  });

  it('uses the metric names the master uses', async () => {
    const registry = new Registry();
    new ProxyMetrics(registry).observe('pi-1', report([{ key: 'default/web:http', connections: 1, bytesIn: 1, bytesOut: 1, failed: 1 }]));
    const master = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    const agent = renderMetrics({ ...proc, proxy: report([]) }).split('\n').filter((l) => l.startsWith('# TYPE bramble_')).map((l) => l.split(' ')[2]).sort();
    expect(agent).toEqual(master);
  });
});

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:10249', { host: '127.0.0.1', port: 10249 }], ['[::1]:10249', { host: '::1', port: 10249 }],
    ['localhost:0', { host: 'localhost', port: 0 }], ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
  ])('%s', (a, want) => expect(parseHostPort(a)).toEqual(want));
  it.each(['10249', ':10249', '127.0.0.1', '127.0.0.1:65536', '::1:10249', 'host:port', 'a b:1', 'http://h:1'])('refuses %s', (a) => {
    expect(parseHostPort(a)).toBeUndefined();
  });
});

// ---- over HTTP --------------------------------------------------------------------------------

const node = '127.0.0.41';

const web = (port: number, nodePort: number): ServiceBundle => ({
  namespace: 'default', name: 'web', revision: 1, type: 'NodePort',
  ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort, endpoints: [{ ip: '127.0.0.42', port }] }],
});

async function scrape(port: number, init: RequestInit & { path?: string } = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${init.path ?? '/metrics'}`, init);
}

async function startMetrics(proxyCounters: () => ProxyReport | undefined, address = '127.0.0.1:0'): Promise<AgentMetrics> {
  const m = new AgentMetrics({ address, proxyCounters });
  await m.start();
  cleanups.push(() => m.stop());
  return m;
}

describe('AgentMetrics over HTTP', () => {
  it('serves GET /metrics in the text format; 404 elsewhere, 405 for other methods', async () => {
    const m = await startMetrics(() => report([{ key: 'default/web:http', connections: 2, bytesIn: 5, bytesOut: 6, failed: 0 }]));
    const port = m.address!.port;
    const ok = await scrape(port);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await ok.text();
    expect(sample(text, 'bramble_proxy_connections_total{service="default/web",port="http"}')).toBe(2);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    expect(Math.abs(sample(text, 'process_start_time_seconds')! - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect((await scrape(port, { path: '/metrics?x=1' })).status).toBe(200);
    expect((await scrape(port, { path: '/' })).status).toBe(404);
    expect((await scrape(port, { path: '/metricsx' })).status).toBe(404);
    const post = await scrape(port, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await scrape(port, { method: 'DELETE' })).status).toBe(405);
  });

  it('a failing read answers 500 and is reported; the endpoint goes on', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const m = new AgentMetrics({ address: '127.0.0.1:0', proxyCounters: () => { if (fail) throw new Error('boom'); return undefined; }, onError: (e) => errors.push(e) });
    await m.start();
    cleanups.push(() => m.stop());
    expect((await scrape(m.address!.port)).status).toBe(500);
    expect(errors).toEqual([new Error('boom')]);
    fail = false;
    expect((await scrape(m.address!.port)).status).toBe(200);
  });

  it('a taken address fails the start with the flag and the address in the message', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => taken.close(() => r())));
    const address = `127.0.0.1:${(taken.address() as net.AddressInfo).port}`;
    const m = new AgentMetrics({ address, proxyCounters: () => undefined });
    await expect(m.start()).rejects.toThrow(`--metrics-address ${address}: cannot listen: the address is in use`);
    await m.stop(); // nothing to stop: no throw
    // An agent given it fails its start before running anything (its proxy is not even made).
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const agent = new Agent({
      nodeName, mqtt: { url: 'mqtt://127.0.0.1:1', username: nodeName, password: 'x' }, runtime: new FakeRuntime(),
      status: new SyntheticStatusSource(syntheticFacts(nodeName), { cpuPercent: 0, memoryUsedBytes: 0, memoryAvailableBytes: 0 }),
      stateDir: dir, logger: silentLogger(), metricsAddress: address,
    });
    await expect(agent.start()).rejects.toThrow(`--metrics-address ${address}`);
    expect(agent.proxy).toBeUndefined();
  });

  it('a real agent with a userspace proxy: a connection through it moves the counters; stop closes the port', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const endpoint = await namedServer('127.0.0.42', 'web-1');
    cleanups.push(() => endpoint.close());
    const backend = new UserspaceProxy({ nodeAddresses: [node], serviceAddress: node, logger: silentLogger() });
    const agent = new Agent({
      // No master: the link retries in the background; Services are applied directly below.
      nodeName, mqtt: { url: `mqtt://127.0.0.1:${await freePort('127.0.0.1')}`, username: nodeName, password: 'x' }, runtime: new FakeRuntime(),
      status: new SyntheticStatusSource(syntheticFacts(nodeName), { cpuPercent: 20, memoryUsedBytes: 2 ** 30, memoryAvailableBytes: 3 * 2 ** 30 }),
      stateDir: dir, logger: silentLogger(), proxy: { backend, envTarget: { mode: 'userspace', address: node } },
      metricsAddress: '127.0.0.1:0', options: { reconnectBaseMs: 1000, reconnectMaxMs: 1000 },
    });
    cleanups.push(() => agent.stop());
    await agent.start();
    const port = agent.metricsPort!;
    expect(port).toBeGreaterThan(0);
    const series = (name: string): string => `${name}{service="default/web",port="http"}`;

    const nodePort = await freePort(node);
    agent.proxy!.apply({ v: 1, type: 'services.sync', revision: 1, services: [web(endpoint.port, nodePort)] });
    await agent.proxy!.settled();
    let text = await (await scrape(port)).text();
    expect(text).toContain('bramble_proxy_mode{mode="userspace"} 1');
    expect(sample(text, series('bramble_proxy_connections_total'))).toBeUndefined(); // no traffic yet

    // Two connections through the NodePort; each reads the endpoint's greeting ("web-1\n", 6 bytes).
    expect(await ask(nodePort, node)).toBe('web-1');
    expect(await ask(nodePort, node)).toBe('web-1');
    // Counters are read at scrape time: poll until the proxy has seen both connections close.
    text = await until('both connections counted on /metrics', async () => {
      const t = await (await scrape(port)).text();
      return sample(t, series('bramble_proxy_bytes_out_total')) === 12 ? t : undefined;
    }, 15_000, 20);
    expect(sample(text, series('bramble_proxy_connections_total'))).toBe(2);
    expect(sample(text, series('bramble_proxy_bytes_out_total'))).toBe(12);
    expect(sample(text, series('bramble_proxy_failed_connections_total'))).toBe(0);
    // The same numbers the agent reports to the master: one source.
    expect(agent.proxy!.counters()!.services).toEqual([expect.objectContaining({ key: 'default/web:http', connections: 2, bytesOut: 12 })]);

    await agent.stop();
    await expect(scrape(port)).rejects.toThrow();
  });
});
