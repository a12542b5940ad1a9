// Proxy benchmark (`npm run bench -- proxy`): the userspace proxy against a direct connection,
// measured in the same run with the same client and sink. Also runnable alone:
//   node --import tsx bench/proxy.ts
// The load generator (client, discarding sink, echo server) runs here; the proxy in a child
// process (bench/proxy-process.ts), so each gets about one core of the two.
//
// The measuring helpers (startLoadSide, compareThroughput, compareLatency) take plain targets,
// so other proxy modes (an iptables DNAT address) can reuse them: see the README.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProxyState } from '../src/proxy/types.js';
import type { Reply, Request } from './proxy-process.js';
import { median, round, summarize, type Summary } from './stats.js';
import type { BenchRow } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const host = '127.0.0.1';
const cellMs = Number(process.env.BENCH_PROXY_CELL_MS ?? 1000);
const rounds = Number(process.env.BENCH_PROXY_ROUNDS ?? 3);

export interface Target {
  host: string;
  port: number;
}

/** The far end of every measurement: a sink that counts and discards, and an echo server. */
export interface LoadSide {
  sink: Target;
  echo: Target;
  sinkBytes(): number;
  close(): Promise<void>;
}

export async function startLoadSide(addr = host): Promise<LoadSide> {
  let bytes = 0;
  const socks = new Set<net.Socket>();
  const keep = (s: net.Socket): void => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
  };
  const sink = net.createServer({ noDelay: true }, (s) => {
    keep(s);
    s.on('data', (d: Buffer) => { bytes += d.length; });
  });
  const echo = net.createServer({ noDelay: true }, (s) => {
    keep(s);
    s.on('data', (d: Buffer) => s.write(d));
  });
  await Promise.all([sink, echo].map((srv) => new Promise<void>((r) => srv.listen(0, addr, () => r()))));
  return {
    sink: { host: addr, port: (sink.address() as net.AddressInfo).port },
    echo: { host: addr, port: (echo.address() as net.AddressInfo).port },
    sinkBytes: () => bytes,
    close: async () => {
      for (const s of socks) s.destroy();
      await Promise.all([sink, echo].map((srv) => new Promise((r) => srv.close(r))));
    },
  };
}

function connect(t: Target): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ ...t, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Opens one connection per target and writes `writeSize` buffers on each as fast as it takes
 * them (pausing on backpressure). The returned function stops and closes them all.
 */
export async function pump(targets: Target[], writeSize: number): Promise<() => Promise<void>> {
  const buf = Buffer.alloc(writeSize, 0x5a);
  const socks = await Promise.all(targets.map(connect));
  let stop = false;
  for (const s of socks) {
    s.on('error', () => undefined);
    const write = (): void => {
      while (!stop) if (!s.write(buf)) return void s.once('drain', write);
    };
    write();
  }
  return async () => {
    stop = true;
    for (const s of socks) s.destroy();
    await sleep(50);
  };
}

export interface ThroughputOptions {
  connections: number;
  writeSize: number;
  ms: number;
  warmupMs?: number;
}

/** Bytes per second the sink receives while `connections` clients write `writeSize` buffers as fast as they can through `target`. */
export async function measureThroughput(target: Target, load: LoadSide, o: ThroughputOptions): Promise<number> {
  const stop = await pump(Array.from({ length: o.connections }, () => target), o.writeSize);
  await sleep(o.warmupMs ?? 300);
  const b0 = load.sinkBytes();
  const t0 = performance.now();
  await sleep(o.ms);
  const rate = (load.sinkBytes() - b0) / ((performance.now() - t0) / 1000);
  await stop();
  return rate;
}

export interface ThroughputComparison {
  /** Median over rounds of proxied ÷ direct. */
  ratio: number;
  ratios: number[];
  directBps: number;
  proxiedBps: number;
}

/** Direct and proxied cells alternate, `rounds` times, so both see the same background load. */
export async function compareThroughput(direct: Target, proxied: Target, load: LoadSide, o: ThroughputOptions & { rounds: number }, between?: () => Promise<void>): Promise<ThroughputComparison> {
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    d.push(await measureThroughput(direct, load, o));
    await between?.();
    p.push(await measureThroughput(proxied, load, o));
  }
  const ratios = p.map((x, i) => x / d[i]!);
  return { ratio: median(ratios), ratios, directBps: median(d), proxiedBps: median(p) };
}

/** Round-trip times (µs) of `size`-byte ping-pongs over one persistent connection to an echo server. */
export async function measureLatency(target: Target, o: { roundTrips: number; size: number }): Promise<number[]> {
  const s = await connect(target);
  const msg = Buffer.alloc(o.size, 1);
  const out: number[] = [];
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    let t0 = 0;
    const send = (): void => {
      got = 0;
      t0 = performance.now();
      s.write(msg);
    };
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < o.size) return;
      out.push((performance.now() - t0) * 1000);
      if (out.length < o.roundTrips) send();
      else resolve();
    });
    s.once('error', reject);
    send();
  });
  s.destroy();
  return out;
}

/** Latency direct and through the proxy, in alternating blocks; the first block of each is warm-up. */
export async function compareLatency(direct: Target, proxied: Target, o: { blocks: number; roundTrips: number; size: number }): Promise<{ direct: Summary; proxied: Summary }> {
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i <= o.blocks; i++) {
    const a = await measureLatency(direct, o);
    const b = await measureLatency(proxied, o);
    if (i > 0) {
      d.push(...a);
      p.push(...b);
    }
  }
  return { direct: summarize(d), proxied: summarize(p) };
}

/**
 * Runs `fn` with this process and `pids` (all their threads) on one CPU, then puts their
 * affinity back. On this VM a hop between processes on different vCPUs costs a wake-up of an
 * idle vCPU, ~60 µs, which swamps what any forwarder adds; on one CPU a hop is a context switch
 * and a plain pipe() proxy adds the ~30 µs the targets were set against. Undefined when
 * `taskset` (util-linux) is missing or fails: the caller says the figure is unpinned.
 */
async function onOneCpu<T>(pids: number[], fn: () => Promise<T>): Promise<T | undefined> {
  const all = [process.pid, ...pids];
  let before: string[];
  try {
    before = all.map((pid) => execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' }).trim().split(': ').pop()!);
    for (const pid of all) execFileSync('taskset', ['-a', '-c', '-p', '0', String(pid)], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  try {
    return await fn();
  } finally {
    all.forEach((pid, i) => execFileSync('taskset', ['-a', '-c', '-p', before[i]!, String(pid)], { stdio: 'ignore' }));
  }
}

/** The proxy child process: request → reply over IPC. */
class ProxyProcess {
  private readonly child: ChildProcess;
  private waiting: ((r: Reply) => void)[] = [];

  get pid(): number {
    return this.child.pid!;
  }

  constructor() {
    this.child = fork(path.join(here, 'proxy-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Reply) => this.waiting.shift()?.(m));
  }

  ask<T extends Reply['type']>(req: Request): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve) => {
      this.waiting.push((r) => resolve(r as Extract<Reply, { type: T }>));
      this.child.send(req);
    });
  }

  stop(): void {
    this.child.disconnect();
  }
}

async function freePort(addr: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, addr, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function serviceState(target: Target, nodePort: number, key = 'bench/sink:'): ProxyState {
  return { ports: [{ key, namespace: 'bench', service: key, portName: '', protocol: 'TCP', port: 80, nodePort, externalIPs: [], endpoints: [{ ip: target.host, port: target.port }] }] };
}

const mb = (bps: number): string => `${Math.round(bps / 1e6)} MB/s`;

function throughputRow(name: string, c: ThroughputComparison, target?: string, extra = ''): BenchRow {
  const row: BenchRow = {
    name,
    value: round(c.ratio),
    unit: 'ratio',
    note: `${mb(c.proxiedBps)} vs direct ${mb(c.directBps)} (medians); per-round ratios ${c.ratios.map((r) => r.toFixed(2)).join(' ')}${extra}`,
  };
  if (target) row.target = target;
  return row;
}

/** One throughput comparison, with the proxy process's CPU time per MB it moved. */
async function throughputCell(proc: ProxyProcess, load: LoadSide, direct: Target, proxied: Target, o: ThroughputOptions): Promise<{ c: ThroughputComparison; cpuPerMB: number }> {
  const cpu0 = (await proc.ask<'stats'>({ type: 'stats' })).cpuUs;
  const bytes0 = load.sinkBytes();
  const c = await compareThroughput(direct, proxied, load, { ...o, rounds });
  const cpuUs = (await proc.ask<'stats'>({ type: 'stats' })).cpuUs - cpu0;
  // The sink counted direct bytes too (they cost the proxy nothing): estimate the proxied share.
  const proxiedShare = c.proxiedBps / (c.proxiedBps + c.directBps);
  return { c, cpuPerMB: cpuUs / (((load.sinkBytes() - bytes0) * proxiedShare) / 1e6) };
}

async function userspaceThroughput(proc: ProxyProcess, load: LoadSide, direct: Target, proxied: Target): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cells: [string, number, number, string | undefined][] = [
    ['1 conn, 64 KiB writes', 1, 64 * 1024, '>= 0.7'],
    ['8 conns, 64 KiB writes', 8, 64 * 1024, '>= 0.7'],
    ['1 conn, 1 MiB writes', 1, 1024 * 1024, undefined],
  ];
  for (const [label, connections, writeSize, target] of cells) {
    const { c, cpuPerMB } = await throughputCell(proc, load, direct, proxied, { connections, writeSize, ms: cellMs });
    rows.push(throughputRow(`proxy userspace throughput ${label}`, c, target, `; proxy CPU ≈ ${Math.round(cpuPerMB)} µs per MB`));
  }
  return rows;
}

async function referenceRows(proc: ProxyProcess, load: LoadSide): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const variant of ['pipe', 'pipeline'] as const) {
    const { port } = await proc.ask<'plain'>({ type: 'plain', variant, host, target: load.sink });
    const { c, cpuPerMB } = await throughputCell(proc, load, load.sink, { host, port }, { connections: 1, writeSize: 64 * 1024, ms: cellMs });
    rows.push(throughputRow(`proxy reference: plain ${variant}() throughput 1 conn, 64 KiB writes`, c, undefined, `; proxy CPU ≈ ${Math.round(cpuPerMB)} µs per MB`));
  }
  const { port } = await proc.ask<'plain'>({ type: 'plain', variant: 'pipe', host, target: load.echo });
  for (const l of await latencyCells(proc, load.echo, { host, port })) {
    rows.push({ name: `proxy reference: plain pipe() added latency p50${l.label}`, value: round(l.lat.proxied.p50 - l.lat.direct.p50), unit: 'µs', note: `p99 added ${round(l.lat.proxied.p99 - l.lat.direct.p99)} µs; proxy CPU ${round(l.cpuPerRt)} µs per round trip${l.why}` });
  }
  return rows;
}

/** `targeted`: the row the targets apply to (pinned, or the only one when pinning failed). */
interface LatencyCell { label: string; why: string; lat: { direct: Summary; proxied: Summary }; cpuPerRt: number; targeted: boolean }

/** Latency with everything on one CPU (the targets' row), then across CPUs (where the VM's wake-ups show). */
async function latencyCells(proc: ProxyProcess, direct: Target, proxied: Target): Promise<LatencyCell[]> {
  const blocks = 4;
  const roundTrips = 5000;
  const cell = async (): Promise<{ lat: { direct: Summary; proxied: Summary }; cpuPerRt: number }> => {
    const cpu0 = (await proc.ask<'stats'>({ type: 'stats' })).cpuUs;
    const lat = await compareLatency(direct, proxied, { blocks, roundTrips, size: 64 });
    return { lat, cpuPerRt: ((await proc.ask<'stats'>({ type: 'stats' })).cpuUs - cpu0) / ((blocks + 1) * roundTrips) };
  };
  const pinned = await onOneCpu([proc.pid], cell);
  const across = await cell();
  const out: LatencyCell[] = [];
  if (pinned) out.push({ ...pinned, label: '', why: '; load generator and proxy pinned to one CPU (taskset)', targeted: true });
  out.push({ ...across, label: pinned ? ', across CPUs' : '', why: pinned ? '; load generator and proxy free to run on different CPUs: each hop wakes an idle vCPU' : '; not pinned: taskset missing or refused', targeted: pinned === undefined });
  return out;
}

async function userspaceLatency(proc: ProxyProcess, load: LoadSide, proxied: Target): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const { label, why, lat, cpuPerRt, targeted } of await latencyCells(proc, load.echo, proxied)) {
    const note = `64-byte ping-pong, 20 000 round trips each; direct p50 ${round(lat.direct.p50)} µs, p99 ${round(lat.direct.p99)} µs; proxied p50 ${round(lat.proxied.p50)} µs, p99 ${round(lat.proxied.p99)} µs; proxy CPU ${round(cpuPerRt)} µs per round trip${why}`;
    const p50: BenchRow = { name: `proxy userspace added latency p50${label}`, value: round(lat.proxied.p50 - lat.direct.p50), unit: 'µs', note };
    const p99: BenchRow = { name: `proxy userspace added latency p99${label}`, value: round(lat.proxied.p99 - lat.direct.p99), unit: 'µs' };
    if (targeted) { p50.target = '<= 30'; p99.target = '<= 100'; }
    rows.push(p50, p99);
  }
  return rows;
}

/** One sync that opens 1000 listeners (1000 services × 3 endpoints), then the sync that closes them, in a fresh proxy process. */
async function listenerSetup(): Promise<BenchRow[]> {
  const proc = new ProxyProcess();
  try {
    const addr = '127.0.0.61';
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = Array.from({ length: 1000 }, (_, i) => {
      const key = `bench/svc-${String(i).padStart(4, '0')}:`;
      const endpoints = [2, 3, 4].map((n) => ({ ip: `127.0.1.${n}`, port: 10_000 + i }));
      return { key, namespace: 'bench', service: `svc-${i}`, portName: '', protocol: 'TCP' as const, port: 80, nodePort: base + i, externalIPs: [], endpoints };
    });
    const up = await proc.ask<'synced'>({ type: 'sync', state: { ports }, nodeAddress: addr });
    const rss = (await proc.ask<'stats'>({ type: 'stats' })).rssBytes;
    const again = await proc.ask<'synced'>({ type: 'sync', state: { ports }, nodeAddress: addr });
    const down = await proc.ask<'synced'>({ type: 'sync', state: { ports: [] }, nodeAddress: addr });
    return [{
      name: 'proxy userspace listener set-up, 1000 services × 3 endpoints',
      value: round(up.ms),
      unit: 'ms',
      note: `${up.listening} listeners open, ${up.failures} failed (ports ${base}–${base + 999} on ${addr}); the same state again ${round(again.ms)} ms; removing all ${round(down.ms)} ms; proxy RSS ${Math.round(rss / 2 ** 20)} MiB with them open`,
    }];
  } finally {
    proc.stop();
  }
}

export async function benchProxy(): Promise<BenchRow[]> {
  const load = await startLoadSide();
  const proc = new ProxyProcess();
  try {
    const [bulkPort, echoPort] = [await freePort(host), await freePort(host)];
    await proc.ask<'synced'>({ type: 'sync', state: { ports: [...serviceState(load.sink, bulkPort, 'bench/sink:').ports, ...serviceState(load.echo, echoPort, 'bench/echo:').ports] }, nodeAddress: host });
    const rows = [
      ...(await userspaceThroughput(proc, load, load.sink, { host, port: bulkPort })),
      ...(await userspaceLatency(proc, load, { host, port: echoPort })),
      ...(await referenceRows(proc, load)),
    ];
    rows.push(...(await listenerSetup()));
    return rows;
  } finally {
    proc.stop();
    await load.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { formatTable } = await import('./stats.js');
  console.log(formatTable(await benchProxy()));
}
