// Pod start latency on one real node: `bramble master` and `bramble agent --runtime docker`
// as child processes of the built binary, on 127.0.0.1, with the local test image.
//
// Also the process harness the agent and fleet benches share (startMaster, startAgent, the
// API and watch helpers, /proc readings, container clean-up).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { BenchRow } from './types.js';
import { nowMs, row, sleep, summarize } from './stats.js';
import { until } from '../test/helpers/poll.js';

export { until };

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');
const bin = path.join(root, 'bin', 'bramble.js');

export const testImage = 'bramble-test/busybox:1';

// ---- processes ------------------------------------------------------------------------

/** A long-running child whose output is kept and can be waited on. */
export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = [], script = bin) {
    this.child = spawn(process.execPath, [...nodeArgs, ...(script ? [script] : []), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString(); if (this.stdout.length > 1e6) this.stdout = this.stdout.slice(-5e5); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); if (this.stderr.length > 1e6) this.stderr = this.stderr.slice(-5e5); });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number { return this.child.pid ?? 0; }

  /** The first match of `re` in stdout; fails if the process exits first or after `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.stdout.match(re);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}:\n${this.stdout.slice(-2000)}\n${this.stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${this.stdout.slice(-2000)}\n${this.stderr.slice(-2000)}`);
      await sleep(50);
    }
  }

  /** Signal it and wait for its exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export interface Master {
  proc: Proc;
  url: string;
  mqttUrl: string;
  /** mqtt://127.0.0.1:PORT */
  mqttLocal: string;
  token: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startMaster(dir: string): Promise<Master> {
  const dataDir = path.join(dir, 'master');
  const env = { BRAMBLE_KUBECONFIG: path.join(dataDir, 'kubeconfig.yaml'), HOME: dir, BRAMBLE_LOG_LEVEL: 'warn' };
  // BENCH_MASTER_NODE_OPTIONS: node flags for the master, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_MASTER_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  // The gateway's own proxy is not what these benches measure, and as root `auto` would program
  // this machine's packet filter.
  const proc = new Proc(['master', '--data-dir', dataDir, '--api-port', '0', '--mqtt-port', '0', '--proxy-mode', 'off'], env, nodeArgs);
  const url = (await proc.waitFor(/API server: (\S+)/))[1]!;
  const mqttUrl = (await proc.waitFor(/MQTT broker: (\S+)/))[1]!;
  await proc.waitFor(/Ready/);
  const kc = parse(readFileSync(env.BRAMBLE_KUBECONFIG, 'utf8')) as { users: { user: { token: string } }[] };
  const port = new URL(mqttUrl).port;
  console.error(`  master ${proc.pid}: ${url}, ${mqttUrl}`);
  return { proc, url, mqttUrl, mqttLocal: `mqtt://127.0.0.1:${port}`, token: kc.users[0]!.user.token, dataDir, env };
}

export interface AgentProc {
  proc: Proc;
  name: string;
  dataDir: string;
}

export async function startAgent(m: Master, o: { name: string; token: string; dataDir: string; runtime: 'docker' | 'fake'; nodeArgs?: string[]; extraArgs?: string[]; logLevel?: string }): Promise<AgentProc> {
  const proc = new Proc(
    // A proxy runs (its memory counts), in userspace mode: the bench leaves the host's packet filter alone.
    ['agent', '--master', m.mqttLocal, '--name', o.name, '--data-dir', o.dataDir, '--node-ip', '127.0.0.1', '--runtime', o.runtime, '--proxy-mode', 'userspace', ...(o.extraArgs ?? [])],
    { ...m.env, BRAMBLE_NODE_TOKEN: o.token, ...(o.logLevel ? { BRAMBLE_LOG_LEVEL: o.logLevel } : {}) },
    o.nodeArgs ?? [],
  );
  await proc.waitFor(/Agent .* Press Ctrl-C/);
  return { proc, name: o.name, dataDir: o.dataDir };
}

/** Remove every container the node's agent made (labelled dev.bramble.node=<node>). */
export function removeNodeContainers(node: string): number {
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=dev.bramble.node=${node}`], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    return ids.length;
  } catch {
    return 0;
  }
}

// ---- /proc ----------------------------------------------------------------------------

const clockTicks = 100; // sysconf(_SC_CLK_TCK) on Linux

/** utime + stime of a process, in seconds. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clockTicks; // fields 14 and 15 of stat(5)
}

/** VmRSS in bytes. */
export function procRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** write_bytes of /proc/PID/io (bytes this process caused to be sent to storage). */
export function procWriteBytes(pid: number): number {
  const m = /write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

// ---- API --------------------------------------------------------------------------------

export interface Api {
  host: string;
  port: number;
  token: string;
  agent: http.Agent;
}

export function api(m: Master, maxSockets = 16): Api {
  const u = new URL(m.url);
  return { host: u.hostname, port: Number(u.port), token: m.token, agent: new http.Agent({ keepAlive: true, maxSockets }) };
}

export interface JsonResult {
  status: number;
  // Kubernetes objects of any kind: the benches read a few known fields.
  body: any;
}

export function call(a: Api, method: string, p: string, body?: unknown): Promise<JsonResult> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${a.token}`, accept: 'application/json' };
    if (data !== undefined) { headers['content-type'] = 'application/json'; headers['content-length'] = Buffer.byteLength(data); }
    const req = http.request({ agent: a.agent, host: a.host, port: a.port, method, path: p, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function must(p: Promise<JsonResult>, what: string): Promise<JsonResult> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  return r;
}

export async function nodeToken(a: Api, node: string): Promise<string> {
  const r = await must(call(a, 'POST', '/apis/bramble.dev/v1/tokens', { node }), `token for ${node}`);
  return (r.body as { token: string }).token;
}

export interface WatchEvent {
  type: string;
  // Any Kubernetes object (see JsonResult).
  object: any;
}

/** A watch stream: `onEvent` gets each event with the time its chunk arrived (nowMs()). */
export async function watch(a: Api, p: string, onEvent: (e: WatchEvent, at: number) => void): Promise<{ close(): void }> {
  const sep = p.includes('?') ? '&' : '?';
  const list = await must(call(a, 'GET', p), `list ${p}`);
  const rv = (list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: a.host, port: a.port, method: 'GET', path: `${p}${sep}watch=true&resourceVersion=${rv}`, headers: { authorization: `Bearer ${a.token}` } }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`watch ${p}: HTTP ${res.statusCode}`)); res.resume(); return; }
      let buf = '';
      res.on('data', (c: Buffer) => {
        const at = nowMs();
        buf += c.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent, at);
        }
      });
      res.on('error', () => { /* closed */ });
      resolve({ close: () => { req.destroy(); } });
    });
    req.on('error', (e) => reject(e));
    req.end();
  });
}

export function podManifest(name: string, node: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: testImage, imagePullPolicy: 'Never', command: ['sleep', '86400'] }],
    },
  };
}

export const podsPath = '/api/v1/namespaces/default/pods';

/** Delete pods (grace 0) and wait until the API has none left with these names. */
export async function deletePods(a: Api, names: string[], timeoutMs = 60_000): Promise<void> {
  await Promise.all(names.map((n) => call(a, 'DELETE', `${podsPath}/${n}?gracePeriodSeconds=0`)));
  await until('pods deleted', async () => {
    const r = await must(call(a, 'GET', podsPath), 'list pods');
    const left = (r.body as { items: { metadata: { name: string } }[] }).items.filter((p) => names.includes(p.metadata.name)).length;
    return left === 0 ? true : undefined;
  }, timeoutMs, 500);
}

/** Wall-clock times (ms since the epoch) of one pod's create answer and of its Running watch event. */
export interface PodTimes {
  created: number;
  running: number;
}

/**
 * Create pods `count` at a time, each worker waiting for its pod to be Running before the next.
 * Returns the latencies; `times` (if given) gets each pod's wall-clock times.
 */
export async function createRunning(a: Api, node: string, names: string[], concurrency: number, timeoutMs = 30_000, times?: Map<string, PodTimes>): Promise<number[]> {
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const w = await watch(a, podsPath, (e, at) => {
    const name = (e.object as { metadata?: { name?: string } }).metadata?.name;
    if (!name || running.has(name)) return;
    if ((e.object as { status?: { phase?: string } }).status?.phase === 'Running') {
      running.set(name, at);
      waiters.get(name)?.();
    }
  });
  const latencies: number[] = [];
  let next = 0;
  try {
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++]!;
        const isRunning = new Promise<void>((resolve, reject) => {
          if (running.has(name)) { resolve(); return; }
          const t = setTimeout(() => reject(new Error(`pod ${name} not Running after ${timeoutMs} ms`)), timeoutMs);
          waiters.set(name, () => { clearTimeout(t); resolve(); });
        });
        await must(call(a, 'POST', podsPath, podManifest(name, node)), `create pod ${name}`);
        created.set(name, nowMs());
        await isRunning;
        waiters.delete(name);
        latencies.push(Math.max(0, running.get(name)! - created.get(name)!));
        times?.set(name, { created: performance.timeOrigin + created.get(name)!, running: performance.timeOrigin + running.get(name)! });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    w.close();
  }
  return latencies;
}

// ---- the bench -------------------------------------------------------------------------

interface Breakdown {
  /** create answered → the agent has the pod (API, node gateway, MQTT upsert). */
  toAgent: number[];
  /** the agent has the pod → it sends status Running (sandbox and container through Docker). */
  agent: number[];
  /** Running sent → the watch event (MQTT podstatus, node gateway, API write, watch). */
  back: number[];
}

/**
 * Where each pod's start time went, from the agent's debug log lines ("pod upsert received",
 * "pod status changed" with phase Running; pino's `time` is the wall clock of the same machine).
 */
function breakdown(agentStderr: string, times: Map<string, PodTimes>): Breakdown {
  const received = new Map<string, number>();
  const runningSent = new Map<string, number>();
  for (const line of agentStderr.split('\n')) {
    if (!line.includes('"pod upsert received"') && !line.includes('"pod status changed"')) continue;
    let r: { msg?: string; pod?: string; phase?: string; time?: number };
    try { r = JSON.parse(line) as typeof r; } catch { continue; }
    const name = r.pod?.slice(r.pod.indexOf('/') + 1);
    if (!name || r.time === undefined) continue;
    if (r.msg === 'pod upsert received' && !received.has(name)) received.set(name, r.time);
    if (r.msg === 'pod status changed' && r.phase === 'Running' && !runningSent.has(name)) runningSent.set(name, r.time);
  }
  const b: Breakdown = { toAgent: [], agent: [], back: [] };
  for (const [name, t] of times) {
    const got = received.get(name);
    const sent = runningSent.get(name);
    if (got === undefined || sent === undefined) continue;
    b.toAgent.push(got - t.created);
    b.agent.push(sent - got);
    b.back.push(t.running - sent);
  }
  return b;
}

function describeBreakdown(b: Breakdown): string {
  const part = (label: string, v: number[]): string => {
    const s = summarize(v);
    return `${label} p50 ${s.p50.toFixed(0)} / p99 ${s.p99.toFixed(0)} ms`;
  };
  return b.agent.length === 0
    ? 'no breakdown (agent debug lines missing)'
    : `${part('create → agent has the pod', b.toAgent)}; ${part('agent: → Running sent', b.agent)}; ${part('Running sent → watch event', b.back)} (over ${b.agent.length} pods, from the agent's debug log)`;
}

export async function benchPods(): Promise<BenchRow[]> {
  const count = Number(process.env.BENCH_PODS ?? 50);
  const concurrency = Number(process.env.BENCH_PODS_CONCURRENCY ?? 5);
  // The measure: apply → Running over ≥ 50 pods.
  const serialCount = Number(process.env.BENCH_PODS_SERIAL ?? 50);
  const dir = tempDir('bramble-bench-pods-');
  const node = 'bench-pods';
  let master: Master | undefined;
  let agent: AgentProc | undefined;
  const rows: BenchRow[] = [];
  removeNodeContainers(node);
  try {
    master = await startMaster(dir);
    const a = api(master);
    const token = await nodeToken(a, node);
    // Debug lines give the breakdown (when the agent got each pod, when it sent Running).
    agent = await startAgent(master, { name: node, token, dataDir: path.join(dir, 'agent'), runtime: 'docker', logLevel: 'debug' });
    await until('node registered', async () => ((await call(a, 'GET', `/api/v1/nodes/${node}`)).status === 200 ? true : undefined), 30_000);
    // Warm-up: two pods through the whole path (JITs, Docker caches), not counted.
    const warm = ['warm-0', 'warm-1'];
    await createRunning(a, node, warm, 2);
    await deletePods(a, warm);
    // One at a time first: the latency of the path itself, without queueing in dockerd.
    const serialNames = Array.from({ length: serialCount }, (_, i) => `serial-${i}`);
    const serialTimes = new Map<string, PodTimes>();
    const serialLat = await createRunning(a, node, serialNames, 1, 30_000, serialTimes);
    const ss = summarize(serialLat);
    const serialSplit = describeBreakdown(breakdown(agent.proc.stderr, serialTimes));
    rows.push(row('pod start one at a time p50', ss.p50, 'ms', undefined, `${serialCount} pods, one after another (BENCH_PODS_SERIAL); ${serialSplit}`));
    rows.push(row('pod start one at a time p99', ss.p99, 'ms', '<= 1000'));
    console.error(`  pods one at a time: p50 ${ss.p50.toFixed(0)} ms, p99 ${ss.p99.toFixed(0)} ms; ${serialSplit}`);
    await deletePods(a, serialNames);
    const names = Array.from({ length: count }, (_, i) => `bench-${i}`);
    const times = new Map<string, PodTimes>();
    const t0 = nowMs();
    const lat = await createRunning(a, node, names, concurrency, 30_000, times);
    const seconds = (nowMs() - t0) / 1000;
    const s = summarize(lat);
    const split = describeBreakdown(breakdown(agent.proc.stderr, times));
    const note = `${count} pods, ${concurrency} at a time, ${seconds.toFixed(1)} s in all; from the create's 201 to the watch event with phase Running; Docker runtime, ${testImage} (imagePullPolicy Never), sandbox + one container each; ${split}`;
    // A burst queues in dockerd (~240 ms per two-container pod on 2 cores): the same target, stricter.
    rows.push(row(`pod start ${concurrency} at a time p50`, s.p50, 'ms', undefined, note));
    rows.push(row(`pod start ${concurrency} at a time p99`, s.p99, 'ms', '<= 1000'));
    rows.push(row(`pod start ${concurrency} at a time max`, s.max, 'ms'));
    console.error(`  pods: p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms (${seconds.toFixed(1)} s); ${split}`);
    // For comparison: `docker run -d` of the same image and command, one after another.
    const dockerMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = nowMs();
      execFileSync('docker', ['run', '-d', '--label', `dev.bramble.node=${node}-baseline`, '--network', 'none', testImage, 'sleep', '86400'], { stdio: 'ignore' });
      dockerMs.push(nowMs() - t);
    }
    removeNodeContainers(`${node}-baseline`);
    const ds = summarize(dockerMs);
    rows.push(row('docker run -d (CLI) p50', ds.p50, 'ms', undefined, `baseline: 5 \`docker run -d\` of ${testImage} sleep, one at a time (max ${ds.max.toFixed(0)} ms); a pod is two containers (sandbox + app)`));
    const d0 = nowMs();
    await deletePods(a, names, 120_000);
    const left = await until('containers removed', async () => {
      const n = Number(execFileSync('docker', ['ps', '-aq', '--filter', `label=dev.bramble.node=${node}`], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).length);
      return n === 0 ? 0 : undefined;
    }, 60_000, 500).catch(() => -1);
    rows.push(row('pod delete all', (nowMs() - d0) / 1000, 's', undefined, `${count} deletes (grace 0) until the API has none left${left === 0 ? ' and the node has removed every container' : '; containers still left on the node after 60 s'}`));
    a.agent.destroy();
  } finally {
    await agent?.proc.stop('SIGTERM');
    await master?.proc.stop('SIGTERM');
    removeNodeContainers(node);
    removeNodeContainers(`${node}-baseline`);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
