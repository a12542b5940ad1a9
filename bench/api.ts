// API server throughput and latency, measured from a separate process over keep-alive HTTP.
//
// The server (bench/server-process.ts) runs as a child process on a LevelDB store in a temp
// dir, so every create is a durable (fsynced, group-committed) write. This process is only a
// load generator: N clients, each issuing its next request when the previous one has answered
// (closed loop), for a fixed time per cell.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.js';
import { machineBusySeconds, nowMs, row, summarize } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---- the server process --------------------------------------------------------------

export interface ServerStats {
  cpu: { user: number; system: number };
  memory: { rss: number; heapUsed: number };
  uptime: number;
  store?: { batches?: number; syncedWrites?: number } | undefined;
  watchers: number;
}

export interface ServerProcess {
  url: string;
  token: string;
  pid: number;
  /** Which server code runs: the dist build or the sources (tsx). */
  code: 'dist' | 'src';
  /** CPU time, memory and store counters of the server process, now. */
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

/**
 * Start bench/server-process.ts as a child (node --import tsx). BENCH_SERVER_NODE_OPTIONS adds
 * flags to its node command line, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
 */
export async function startServerProcess(opts: { store?: 'level' | 'memory' } = {}): Promise<ServerProcess> {
  const extra = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    [...extra, '--import', 'tsx', path.join(here, 'server-process.ts'), '--store', opts.store ?? 'level'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const nextLine = (timeoutMs: number): Promise<string> => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the bench server did not answer in time')), timeoutMs);
    const onExit = (code: number | null): void => { clearTimeout(t); reject(new Error(`the bench server exited (code ${code})`)); };
    child.once('exit', onExit);
    waiting.push((l) => { clearTimeout(t); child.off('exit', onExit); resolve(l); });
  });
  const hello = JSON.parse(await nextLine(30_000)) as { url: string; token: string; pid: number; code: 'dist' | 'src' };
  console.error(`  server process ${hello.pid}: ${opts.store ?? 'level'} store, ${hello.code === 'dist' ? 'dist build' : 'TypeScript sources'}, ${hello.url}`);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  return {
    url: hello.url,
    token: hello.token,
    pid: hello.pid,
    code: hello.code,
    stats: async () => {
      const answer = nextLine(5000);
      child.stdin.write('stats\n');
      return JSON.parse(await answer) as ServerStats;
    },
    stop: async () => {
      if (exited) return;
      child.stdin.end();
      const kill = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exit;
      clearTimeout(kill);
    },
  };
}

// ---- HTTP ----------------------------------------------------------------------------

export interface Endpoint {
  host: string;
  port: number;
  token: string;
}

export function endpoint(url: string, token: string): Endpoint {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), token };
}

export interface HttpResult {
  status: number;
  body: string;
}

/** One request over the agent; resolves with the whole response body. */
export function request(agent: http.Agent, ep: Endpoint, method: string, urlPath: string, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${ep.token}`, accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request({ agent, host: ep.host, port: ep.port, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const configMapsPath = '/api/v1/namespaces/default/configmaps';

const filler = 'k'.repeat(300);

/** A ConfigMap of about 500 bytes of JSON. */
export function configMapBody(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'bench', tier: 'edge', 'bramble.io/fleet': 'bench-fleet' } },
    data: { 'settings.conf': `mode=bench\nname=${name}\n${filler}`, region: 'eu-west', retries: '3' },
  });
}

// ---- closed-loop load ----------------------------------------------------------------

export interface LoadResult {
  /** Requests completed in the measured window. */
  count: number;
  /** Requests completed, warm-up included. */
  all: number;
  /** Non-2xx answers and transport errors in the measured window. */
  errors: number;
  firstError: string | undefined;
  /** Seconds of the measured window. */
  seconds: number;
  /** Latency (ms) of each request that started in the measured window. */
  latencies: number[];
  /** Client (this process) CPU seconds spent in the measured window. */
  clientCpu: number;
}

/** Latencies and errors of the measured requests of one load run. */
class Tally {
  seq = 0;
  all = 0;
  errors = 0;
  firstError: string | undefined;
  readonly latencies: number[] = [];
  cpu0: NodeJS.CpuUsage | undefined;

  /** Issue the next request; count it if `measured`, its latency running from `since`. */
  async issue(op: (i: number) => Promise<HttpResult>, measured: boolean, since: number): Promise<void> {
    if (measured) this.cpu0 ??= process.cpuUsage();
    let err: string | undefined;
    try {
      const r = await op(this.seq++);
      if (r.status < 200 || r.status >= 300) err = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (e) {
      err = String(e);
    }
    this.all++;
    if (!measured) return;
    this.latencies.push(nowMs() - since);
    if (err !== undefined) { this.errors++; this.firstError ??= err; }
  }

  result(seconds: number): LoadResult {
    const cpu = process.cpuUsage(this.cpu0);
    return { count: this.latencies.length, all: this.all, errors: this.errors, firstError: this.firstError, seconds, latencies: this.latencies, clientCpu: (cpu.user + cpu.system) / 1e6 };
  }
}

/**
 * Run `concurrency` clients, each issuing `op(i)` when its previous one has finished, for
 * `warmupMs` unmeasured then `durationMs` measured (at most `maxRequests` measured requests).
 */
export async function closedLoop(concurrency: number, durationMs: number, warmupMs: number, op: (i: number) => Promise<HttpResult>, maxRequests = 1_000_000): Promise<LoadResult> {
  const t = new Tally();
  const start = nowMs() + warmupMs;
  const end = start + durationMs;
  let measuredStart = start;
  const client = async (): Promise<void> => {
    for (;;) {
      const begin = nowMs();
      if (begin >= end || t.latencies.length >= maxRequests) return;
      const measured = begin >= start;
      if (measured && t.cpu0 === undefined) measuredStart = begin;
      await t.issue(op, measured, begin);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => client()));
  return t.result((nowMs() - measuredStart) / 1000);
}

/**
 * Open loop: `clients` connections, each sending on its own fixed schedule so that together
 * they offer `ratePerSecond`, whatever the answers' speed. Latency counts from the *scheduled*
 * send time, so a request delayed behind a slow one is charged for the wait (no coordinated
 * omission). This is how a fleet of independent clients loads the server.
 */
export async function openLoop(clients: number, ratePerSecond: number, durationMs: number, warmupMs: number, op: (i: number) => Promise<HttpResult>): Promise<LoadResult> {
  const t = new Tally();
  const interval = (1000 * clients) / ratePerSecond;
  const t0 = nowMs();
  const start = t0 + warmupMs;
  const end = start + durationMs;
  const client = async (c: number): Promise<void> => {
    // Spread the clients' schedules evenly over one interval.
    for (let due = t0 + (interval * c) / clients; due < end; due += interval) {
      // Timers may fire up to a millisecond early (the loop's clock is cached): sleep short of
      // the due time, then yield until it has really come.
      const wait = due - nowMs();
      if (wait > 2) await new Promise((r) => setTimeout(r, wait - 2));
      while (nowMs() < due) await new Promise((r) => setImmediate(r));
      await t.issue(op, due >= start, due);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  return t.result(durationMs / 1000);
}

interface Cell {
  r: LoadResult;
  /** Server CPU use over the cell (1 = one core busy). */
  serverCpu: number;
  /** Server CPU time per completed request (µs), warm-up included. */
  serverUsPerRequest: number;
  /** CPU use of everything else on the machine over the cell (neither server nor client). */
  otherCpu: number;
  /** Mean writes per group-commit batch (fsync), LevelDB only. */
  batch: number | undefined;
}

function cpuSeconds(s: ServerStats): number {
  return (s.cpu.user + s.cpu.system) / 1e6;
}

// ---- the bench -------------------------------------------------------------------------

const cellMs = Number(process.env.BENCH_CELL_MS ?? 2000);
const warmMs = 300;

async function runCell(server: ServerProcess, label: string, concurrency: number, op: (agent: http.Agent) => (i: number) => Promise<HttpResult>, ms = cellMs, rate?: number): Promise<Cell> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const before = await server.stats();
  const busy0 = machineBusySeconds();
  const client0 = process.cpuUsage();
  const r = rate === undefined ? await closedLoop(concurrency, ms, warmMs, op(agent)) : await openLoop(concurrency, rate, ms, warmMs, op(agent));
  const client = process.cpuUsage(client0);
  const busy = machineBusySeconds() - busy0;
  const after = await server.stats();
  agent.destroy();
  const writes = (after.store?.syncedWrites ?? 0) - (before.store?.syncedWrites ?? 0);
  const batches = (after.store?.batches ?? 0) - (before.store?.batches ?? 0);
  const wall = (after.uptime - before.uptime) || 1;
  const serverSeconds = cpuSeconds(after) - cpuSeconds(before);
  const other = Math.max(0, busy - serverSeconds - (client.user + client.system) / 1e6) / wall;
  if (r.errors) console.error(`  ${label}: ${r.errors} errors, first: ${r.firstError}`);
  return { r, serverCpu: serverSeconds / wall, serverUsPerRequest: (serverSeconds * 1e6) / Math.max(1, r.all), otherCpu: other, batch: batches > 0 ? writes / batches : undefined };
}

function cellNote(x: Cell): string {
  const parts = [`${x.r.count} requests in ${x.r.seconds.toFixed(2)} s`, `server CPU ${(x.serverCpu * 100).toFixed(0)}% (${x.serverUsPerRequest.toFixed(0)} µs per request)`, `client CPU ${((x.r.clientCpu / x.r.seconds) * 100).toFixed(0)}%`, `other processes ${(x.otherCpu * 100).toFixed(0)}%`];
  if (x.batch !== undefined) parts.push(`${x.batch.toFixed(1)} writes per fsync`);
  if (x.r.errors) parts.push(`${x.r.errors} ERRORS (${x.r.firstError})`);
  return parts.join(', ');
}

export async function benchApi(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const server = await startServerProcess({ store: 'level' });
  const ep = endpoint(server.url, server.token);
  try {
    // Objects for the gets, and a first pass through both processes' JITs.
    const seedAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const seedCount = 2000;
    const seed = await closedLoop(16, 60_000, 0, (i) => request(seedAgent, ep, 'POST', configMapsPath, configMapBody(`seed-${i}`)), seedCount);
    seedAgent.destroy();
    if (seed.errors) throw new Error(`seeding failed: ${seed.firstError}`);
    const seedNames = Array.from({ length: seedCount }, (_, i) => `seed-${i}`);

    let created = 0;
    const createOp = (agent: http.Agent) => (): Promise<HttpResult> => request(agent, ep, 'POST', configMapsPath, configMapBody(`cm-${created++}`));
    let pick = 0;
    const getOp = (agent: http.Agent) => (): Promise<HttpResult> => request(agent, ep, 'GET', `${configMapsPath}/${seedNames[(pick++ * 7919) % seedNames.length]!}`);

    for (const c of [1, 10, 100]) {
      for (const [verb, op] of [['create', createOp], ['get', getOp]] as const) {
        const label = `api ${verb} c=${c}`;
        const x = await runCell(server, label, c, op);
        const s = summarize(x.r.latencies);
        rows.push(row(`${label} throughput`, x.r.count / x.r.seconds, 'req/s', undefined, cellNote(x)));
        rows.push(row(`${label} p50`, s.p50, 'ms'));
        rows.push(row(`${label} p99`, s.p99, 'ms', undefined, c === 100 ? 'saturated closed loop: 100 requests always queued, so latency ≈ 100 ÷ throughput; the p99 target is judged on the open-loop rows' : undefined));
        if (c === 100 && verb === 'get') rows.push(row('api server CPU per get', x.serverUsPerRequest, 'µs', undefined, 'server process CPU time ÷ gets, at 100 clients; 1e6 ÷ this is what one core can serve'));
        console.error(`  ${label}: ${(x.r.count / x.r.seconds).toFixed(0)} req/s, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${cellNote(x)})`);
      }
    }

    // 100 independent clients at a steady offered load (open loop): the latency a fleet sees.
    for (const [verb, op, rate] of [['create', createOp, 1000], ['get', getOp, 4000]] as const) {
      const label = `api ${verb} 100 clients at ${rate}/s`;
      const x = await runCell(server, label, 100, op, Math.max(cellMs, 3000), rate);
      const s = summarize(x.r.latencies);
      rows.push(row(`${label} p50`, s.p50, 'ms', undefined, cellNote(x)));
      rows.push(row(`${label} p99`, s.p99, 'ms', '<= 10'));
      console.error(`  ${label}: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${cellNote(x)})`);
    }

    // Durable writes through the API at high concurrency: every 201 is on disk (fsynced).
    for (const c of [64, 256]) {
      const label = `api durable writes c=${c}`;
      const x = await runCell(server, label, c, createOp, Math.max(cellMs, 3000));
      const s = summarize(x.r.latencies);
      rows.push(row(label, (x.r.count - x.r.errors) / x.r.seconds, 'writes/s', c === 64 ? '>= 5000' : undefined, `${cellNote(x)}, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`));
      if (c === 64) rows.push(row('api server CPU per durable write', x.serverUsPerRequest, 'µs', undefined, 'server process CPU time ÷ creates, at 64 clients; 1e6 ÷ this is what one core can commit'));
      console.error(`  ${label}: ${((x.r.count - x.r.errors) / x.r.seconds).toFixed(0)} writes/s, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${cellNote(x)})`);
    }
  } finally {
    await server.stop();
  }

  // The same creates on the in-memory store (not durable): what the API costs without LevelDB.
  const mem = await startServerProcess({ store: 'memory' });
  try {
    const mep = endpoint(mem.url, mem.token);
    let n = 0;
    const op = (agent: http.Agent) => (): Promise<HttpResult> => request(agent, mep, 'POST', configMapsPath, configMapBody(`mem-${n++}`));
    await runCell(mem, 'warm-up', 16, op, 1000);
    const label = 'api memory-store writes c=64';
    const x = await runCell(mem, label, 64, op, Math.max(cellMs, 3000));
    const s = summarize(x.r.latencies);
    rows.push(row(label, (x.r.count - x.r.errors) / x.r.seconds, 'writes/s', undefined, `not durable, for comparison; ${cellNote(x)}, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`));
    console.error(`  ${label}: ${((x.r.count - x.r.errors) / x.r.seconds).toFixed(0)} writes/s (${cellNote(x)})`);
  } finally {
    await mem.stop();
  }
  return rows;
}
