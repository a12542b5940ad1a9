// iptables-mode proxy benchmark (`npm run bench -- proxy-iptables`; root, iptables, iproute2).
// Also runnable alone: node --import tsx bench/proxy-iptables.ts
//
// Topology (all on this machine, private addresses on veth links, removed in finally):
//   bench process (client, host namespace) ──veth── N (the node: the rules, forwarding) ──veth── S (sink + echo)
// Direct: client → S's address, forwarded by N. Proxied: client → a ClusterIP, DNATed by N to
// the same S address and port (and masqueraded). Same client, same sink, same links: the
// difference is the DNAT path (nat chains on the first packet, conntrack NAT, the filter rules
// on every packet). The sink runs in S as a child process (it counts bytes; asked over IPC).
// Throughput is measured two ways: side by side (direct and DNATed connections at once, the
// ratio of what the sink got from each: the figure with the target, steady on a busy machine)
// and alternating cells as in bench/proxy.ts (reported without a target: noisy here).
// The host gets two routes through N (S's /24 and the ClusterIP's /32), deleted at the end;
// its iptables rules are never touched (the proxy programs N).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { IptablesProxy } from '../src/proxy/iptables/proxy.js';
import type { ProxyState, ServicePortEntry } from '../src/proxy/types.js';
import { silentLogger } from '../src/log/logger.js';
import { commandRunner, runChecked } from '../src/proxy/iptables/runner.js';
import { compareLatency, pump, type Target } from './proxy.js';
import { median, round } from './stats.js';
import type { BenchRow } from './types.js';

// Many short alternating cells: on a busy 2-core machine a single cell swings by 2x either way.
const cellMs = Number(process.env.BENCH_PROXY_CELL_MS ?? 500);
const rounds = Number(process.env.BENCH_PROXY_ROUNDS ?? 9);
const run = commandRunner();
const sh = (argv: string[]): Promise<string> => runChecked(run, argv);

interface Net {
  tag: string;
  n: string;
  s: string;
  sinkIP: string;
  clusterIP: string;
  /** The bench process's address on its link to N (where direct connections come from). */
  hostIP: string;
  undo: string[][];
}

async function makeNet(): Promise<Net> {
  const tag = randomBytes(3).toString('hex');
  const x = 1 + (randomBytes(1)[0]! % 250);
  const net0: Net = { tag, n: `bramble-bench-${tag}-n`, s: `bramble-bench-${tag}-s`, sinkIP: `10.217.${x}.2`, clusterIP: `10.96.217.${x}`, hostIP: `10.216.${x}.1`, undo: [] };
  const step = async (argv: string[], undo?: string[]): Promise<void> => {
    await sh(argv);
    if (undo) net0.undo.unshift(undo);
  };
  try {
    for (const ns of [net0.n, net0.s]) await step(['ip', 'netns', 'add', ns], ['ip', 'netns', 'del', ns]);
    await step(['ip', 'link', 'add', `bb${tag}h`, 'type', 'veth', 'peer', 'name', `bb${tag}n`], ['ip', 'link', 'del', `bb${tag}h`]);
    await step(['ip', 'link', 'set', `bb${tag}n`, 'netns', net0.n]);
    await step(['ip', 'addr', 'add', `10.216.${x}.1/24`, 'dev', `bb${tag}h`]);
    await step(['ip', 'link', 'set', `bb${tag}h`, 'up']);
    await step(['ip', 'link', 'add', `bb${tag}s`, 'type', 'veth', 'peer', 'name', `bb${tag}S`]);
    await step(['ip', 'link', 'set', `bb${tag}s`, 'netns', net0.n]);
    await step(['ip', 'link', 'set', `bb${tag}S`, 'netns', net0.s]);
    const inN = ['ip', '-n', net0.n];
    const inS = ['ip', '-n', net0.s];
    await step([...inN, 'addr', 'add', `10.216.${x}.2/24`, 'dev', `bb${tag}n`]);
    await step([...inN, 'addr', 'add', `10.217.${x}.1/24`, 'dev', `bb${tag}s`]);
    await step([...inS, 'addr', 'add', `${net0.sinkIP}/24`, 'dev', `bb${tag}S`]);
    for (const [ns, dev] of [[inN, `bb${tag}n`], [inN, `bb${tag}s`], [inN, 'lo'], [inS, `bb${tag}S`], [inS, 'lo']] as const) await step([...ns, 'link', 'set', dev, 'up']);
    await step([...inS, 'route', 'add', 'default', 'via', `10.217.${x}.1`]);
    await step(['ip', 'netns', 'exec', net0.n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await step(['ip', 'route', 'add', `10.217.${x}.0/24`, 'via', `10.216.${x}.2`], ['ip', 'route', 'del', `10.217.${x}.0/24`]);
    await step(['ip', 'route', 'add', `${net0.clusterIP}/32`, 'via', `10.216.${x}.2`], ['ip', 'route', 'del', `${net0.clusterIP}/32`]);
  } catch (err) {
    await teardown(net0);
    throw err;
  }
  return net0;
}

async function teardown(n: Net): Promise<void> {
  for (const argv of n.undo) await run(argv).catch(() => undefined);
}

// The far end, in S: a sink counting bytes (in all, and by client address) and an echo server;
// answers {bytes, by} to any IPC message.
const sinkScript = `
const net = require('net');
let bytes = 0;
const by = {};
const sink = net.createServer({ noDelay: true }, (s) => { const from = s.remoteAddress; s.on('error', () => {}); s.on('data', (d) => { bytes += d.length; by[from] = (by[from] || 0) + d.length; }); });
const echo = net.createServer({ noDelay: true }, (s) => { s.on('error', () => {}); s.on('data', (d) => s.write(d)); });
sink.listen(0, process.argv[1], () => echo.listen(0, process.argv[1], () => process.send({ sink: sink.address().port, echo: echo.address().port })));
process.on('message', () => process.send({ bytes, by }));
process.on('disconnect', () => process.exit(0));`;

interface SinkCount {
  bytes: number;
  /** Bytes by the client address the sink saw: direct connections come from the bench's address, DNATed ones from the node's (masqueraded). */
  by: Record<string, number>;
}

class RemoteSink {
  private waiting: ((m: SinkCount) => void)[] = [];
  private constructor(private readonly child: ChildProcess, readonly sink: Target, readonly echo: Target) {
    child.on('message', (m: SinkCount) => this.waiting.shift()?.(m));
  }

  static async start(ns: string, ip: string): Promise<RemoteSink> {
    // `ip netns exec` execs node in place, so the IPC channel (fd 3) is inherited.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', sinkScript, ip], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ports = await new Promise<{ sink: number; echo: number }>((resolve, reject) => {
      child.once('message', (m: { sink: number; echo: number }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`sink in ${ns} exited ${code}`)));
    });
    return new RemoteSink(child, { host: ip, port: ports.sink }, { host: ip, port: ports.echo });
  }

  count(): Promise<SinkCount> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send({});
    });
  }

  async bytes(): Promise<number> {
    return (await this.count()).bytes;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Like bench/proxy.ts's measureThroughput, with the sink's byte count read over IPC (it lives in
 * another namespace): bytes/s the sink receives while `connections` clients write as fast as they can.
 */
async function throughput(target: Target, sink: RemoteSink, connections: number, writeSize: number): Promise<number> {
  const stop = await pump(Array.from({ length: connections }, () => target), writeSize);
  await sleep(300);
  const b0 = await sink.bytes();
  const t0 = performance.now();
  await sleep(cellMs);
  const b1 = await sink.bytes();
  const rate = (b1 - b0) / ((performance.now() - t0) / 1000);
  await stop();
  return rate;
}

/**
 * Direct and DNATed connections at the same time, `connections` of each: both see the same
 * background load at every instant (alternating cells on a busy 2-core machine swing 0.2–3×),
 * and if the DNAT path cost more CPU it would get the smaller share. Ratio of the bytes the sink
 * got from each in the window.
 */
async function throughputTogether(direct: Target, proxied: Target, sink: RemoteSink, connections: number, writeSize: number, directFrom: string): Promise<{ ratio: number; directBps: number; proxiedBps: number }> {
  const stop = await pump([...Array.from({ length: connections }, () => direct), ...Array.from({ length: connections }, () => proxied)], writeSize);
  await sleep(300);
  const c0 = await sink.count();
  const t0 = performance.now();
  await sleep(cellMs * 2);
  const c1 = await sink.count();
  const secs = (performance.now() - t0) / 1000;
  await stop();
  const d = ((c1.by[directFrom] ?? 0) - (c0.by[directFrom] ?? 0)) / secs;
  const all = (c1.bytes - c0.bytes) / secs;
  return { ratio: (all - d) / d, directBps: d, proxiedBps: all - d };
}

const mb = (bps: number): string => `${Math.round(bps / 1e6)} MB/s`;

async function throughputRows(direct: Target, proxied: Target, sink: RemoteSink, directFrom: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [label, conns] of [['1 conn', 1], ['8 conns', 8]] as const) {
    const together = [];
    for (let i = 0; i < Math.ceil(rounds / 2); i++) together.push(await throughputTogether(direct, proxied, sink, conns, 64 * 1024, directFrom));
    const tr = together.map((t) => t.ratio);
    rows.push({
      name: `proxy iptables throughput ${label}, 64 KiB writes (side by side)`, value: round(median(tr)), unit: 'ratio', target: '>= 0.95',
      note: `${label} direct and ${label} through the DNAT at the same time, same client process and sink: ${mb(median(together.map((t) => t.proxiedBps)))} vs direct ${mb(median(together.map((t) => t.directBps)))} (medians); per-round ratios ${tr.map((r) => r.toFixed(2)).join(' ')}`,
    });
    const d: number[] = [];
    const p: number[] = [];
    // Alternating cells, so both see the same background load.
    for (let i = 0; i < rounds; i++) {
      d.push(await throughput(direct, sink, conns, 64 * 1024));
      p.push(await throughput(proxied, sink, conns, 64 * 1024));
    }
    const ratios = p.map((x, i) => x / d[i]!);
    rows.push({
      name: `proxy iptables throughput ${label}, 64 KiB writes (alternating)`, value: round(median(ratios)), unit: 'ratio',
      note: `${mb(median(p))} vs direct ${mb(median(d))} over the same veth path through the node namespace (medians); per-round ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}`,
    });
  }
  return rows;
}

async function latencyRows(direct: Target, proxied: Target): Promise<BenchRow[]> {
  const lat = await compareLatency(direct, proxied, { blocks: 4, roundTrips: 5000, size: 64 });
  const note = `64-byte ping-pong over one connection, 20 000 round trips each; direct p50 ${round(lat.direct.p50)} µs, p99 ${round(lat.direct.p99)} µs; through the DNAT p50 ${round(lat.proxied.p50)} µs, p99 ${round(lat.proxied.p99)} µs`;
  return [
    { name: 'proxy iptables added latency p50', value: round(lat.proxied.p50 - lat.direct.p50), unit: 'µs', target: '<= 30', note },
    { name: 'proxy iptables added latency p99', value: round(lat.proxied.p99 - lat.direct.p99), unit: 'µs', target: '<= 100' },
  ];
}

function services(count: number, endpointsEach: number, shift = 0): ProxyState {
  const ports: ServicePortEntry[] = Array.from({ length: count }, (_, i) => ({
    key: `bench/svc-${String(i).padStart(4, '0')}:`, namespace: 'bench', service: `svc-${i}`, portName: '', protocol: 'TCP',
    clusterIP: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, port: 80, nodePort: 30000 + i, externalIPs: [],
    endpoints: Array.from({ length: endpointsEach }, (_, j) => ({ ip: `10.218.${j}.${1 + (i % 250)}`, port: 31000 + ((i + shift) % 1000) })),
  }));
  return { ports };
}

const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/** Rule sync with 1000 services × 3 endpoints in a fresh namespace: first sync, no-op, one change, counters, stop. */
async function syncRows(): Promise<BenchRow[]> {
  const ns = `bramble-bench-${randomBytes(3).toString('hex')}-y`;
  await sh(['ip', 'netns', 'add', ns]);
  const proxy = new IptablesProxy({ logger: silentLogger(), netns: ns, counterIntervalMs: 0 });
  try {
    await proxy.start();
    const state = services(1000, 3);
    const first = await timed(() => proxy.sync(state));
    const rules = (await sh(['ip', 'netns', 'exec', ns, 'iptables-save'])).split('\n').filter((l) => l.startsWith('-A BRAMBLE')).length;
    const noop = await timed(() => proxy.sync(services(1000, 3)));
    const changed = structuredClone(state);
    changed.ports[500]!.endpoints[1]!.port = 32999;
    const one = await timed(() => proxy.sync(changed));
    const all = await timed(() => proxy.sync(services(1000, 3, 1)));
    const counters = await timed(() => proxy.refreshCounters());
    const stop = await timed(() => proxy.stop());
    return [{
      name: 'proxy iptables rule sync, 1000 services × 3 endpoints', value: round(first), unit: 'ms',
      note: `first sync ${rules} rules in one iptables-restore; the same state again ${round(noop)} ms (no restore); one endpoint changed ${round(one)} ms; every endpoint changed ${round(all)} ms; reading counters ${round(counters)} ms; stop ${round(stop)} ms`,
    }];
  } finally {
    await proxy.stop().catch(() => undefined);
    await run(['ip', 'netns', 'del', ns]);
  }
}

export async function benchProxyIptables(): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0) {
    console.error('bench proxy-iptables: skipped (needs root, iptables and iproute2)');
    return [];
  }
  const n = await makeNet();
  let sink: RemoteSink | undefined;
  const proxy = new IptablesProxy({ logger: silentLogger(), netns: n.n, counterIntervalMs: 0 });
  try {
    sink = await RemoteSink.start(n.s, n.sinkIP);
    await proxy.start();
    const entry = (key: string, port: number, ep: Target): ServicePortEntry => ({
      key, namespace: 'bench', service: key, portName: '', protocol: 'TCP', clusterIP: n.clusterIP, port, externalIPs: [], endpoints: [{ ip: ep.host, port: ep.port }],
    });
    await proxy.sync({ ports: [entry('bench/sink:', 80, sink.sink), entry('bench/echo:', 81, sink.echo)] });
    const rows = [
      ...(await throughputRows(sink.sink, { host: n.clusterIP, port: 80 }, sink, n.hostIP)),
      ...(await latencyRows(sink.echo, { host: n.clusterIP, port: 81 })),
    ];
    await proxy.refreshCounters();
    const c = proxy.counters().find((x) => x.key === 'bench/sink:');
    if (c) rows[0]!.note += `; counters of the sink service: ${c.connections} connections, ${Math.round(c.bytesIn / 1e6)} MB in`;
    rows.push(...(await syncRows()));
    return rows;
  } finally {
    sink?.stop();
    await proxy.stop().catch(() => undefined);
    await teardown(n);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { formatTable } = await import('./stats.js');
  console.log(formatTable(await benchProxyIptables()));
}
