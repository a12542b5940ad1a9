// The master under a fleet: `bramble master` (a child process of the built binary) with
// 1000, 5000 and 10 000 hollow nodes (src/agent/hollow.ts, FakeRuntime, one MQTT connection
// each, heartbeat every 10 s) run in two other processes — this file, started as
// `node --import tsx bench/fleet.ts hollow` — so the master's figures are its own.
//
// Measured from /proc: the master's CPU over 30 s of steady state and its RSS at each size,
// its disk writes (write_bytes) over 60 s with 10 idle nodes; through a watch: the time from
// SIGKILL of a real `bramble agent --runtime fake` process to its Node's Ready=Unknown.
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow } from './types.js';
import { nowMs, row, sleep } from './stats.js';
import type { HollowFleet, HollowOptions } from '../src/agent/hollow.js';
import type { Logger } from '../src/log/logger.js';
import { api, call, must, nodeToken, procCpuSeconds, procRss, procWriteBytes, Proc, root, startAgent, startMaster, tempDir, until, watch, type AgentProc, type Api, type Master } from './pods.js';

const self = fileURLToPath(import.meta.url);

// ---- the hollow process ------------------------------------------------------------------

interface StartCmd { op: 'start'; prefix: string; count: number }

async function hollowMain(masterUrl: string, tokensFile: string, dataDir: string): Promise<void> {
  // The build (what `bramble` runs); the types come from the sources.
  const { startHollowAgents } = (await import(pathToFileURL(path.join(root, 'dist', 'agent', 'hollow.js')).href)) as { startHollowAgents: (o: HollowOptions) => Promise<HollowFleet> };
  const { createLogger } = (await import(pathToFileURL(path.join(root, 'dist', 'log', 'logger.js')).href)) as { createLogger: (o: { level: 'error' }) => Logger };
  const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as Record<string, string>;
  const logger = createLogger({ level: 'error' });
  const fleets: HollowFleet[] = [];
  const out = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
  out({ ready: true, pid: process.pid });
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line === 'stop') break;
    const cmd = JSON.parse(line) as StartCmd;
    const t0 = nowMs();
    const fleet = await startHollowAgents({ masterUrl, count: cmd.count, prefix: cmd.prefix, token: (n) => tokens[n]!, dataDir, logger, concurrency: 100 });
    fleets.push(fleet);
    out({ started: cmd.prefix, count: cmd.count, ms: nowMs() - t0 });
  }
  await Promise.race([Promise.all(fleets.map((f) => f.stop())), sleep(20_000)]);
  process.exit(0);
}

if (process.argv[1] === self && process.argv[2] === 'hollow') {
  hollowMain(process.argv[3]!, process.argv[4]!, process.argv[5]!).catch((err: unknown) => { console.error(err); process.exit(1); });
}

export class HollowProc {
  readonly proc: Proc;
  private seen = 0;
  constructor(m: Master, tokensFile: string, dataDir: string) {
    // BENCH_HOLLOW_NODE_OPTIONS: node flags for the hollow processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.BENCH_HOLLOW_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
    this.proc = new Proc(['hollow', m.mqttLocal, tokensFile, dataDir], {}, [...nodeArgs, '--import', 'tsx'], self);
  }
  get pid(): number { return this.proc.pid; }
  async ready(): Promise<void> { await this.proc.waitFor(/"ready":true/, 60_000); }
  /** Start `count` agents; resolves when every one has started (connected), with the ms it took. */
  async start(prefix: string, count: number, timeoutMs: number): Promise<number> {
    this.proc.child.stdin!.write(`${JSON.stringify({ op: 'start', prefix, count })}\n`);
    const re = new RegExp(`"started":"${prefix}","count":${count},"ms":([0-9.]+)`);
    const m = await this.proc.waitFor(re, timeoutMs);
    this.seen++;
    return Number(m[1]);
  }
  async stop(): Promise<void> {
    if (this.proc.child.exitCode === null) this.proc.child.stdin!.write('stop\n');
    const t = setTimeout(() => this.proc.child.kill('SIGKILL'), 25_000);
    await this.proc.exited;
    clearTimeout(t);
  }
}

// ---- helpers -------------------------------------------------------------------------------

export interface NodeItem { metadata: { name: string }; status?: { conditions?: { type: string; status: string; message?: string }[] } }

export function isReady(n: NodeItem): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Nodes whose Ready condition is True. */
export async function readyCount(a: Api): Promise<number> {
  const r = await must(call(a, 'GET', '/api/v1/nodes'), 'list nodes');
  return (r.body as { items: NodeItem[] }).items.filter(isReady).length;
}

/** Token-id collisions retried by the last tokensFor(). */
let collisions = 0;

export async function tokensFor(a: Api, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let next = 0;
  collisions = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const n = names[next++]!;
      // Token ids are 6 hex digits (24 bits): among 10 000 a few collide and the server
      // answers 500 "key … already exists" instead of drawing another. Retry those.
      for (let attempt = 0; ; attempt++) {
        try {
          out[n] = await nodeToken(a, n);
          break;
        } catch (err) {
          if (attempt >= 3 || !String(err).includes('already exists')) throw err;
          collisions++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, () => worker()));
  return out;
}

/** The master's CPU (fraction of a core) and RSS over `ms`. */
async function steady(m: Master, ms: number, others: number[]): Promise<{ cpu: number; rss: number; seconds: number; othersCpu: number }> {
  const pid = m.proc.pid;
  const c0 = procCpuSeconds(pid);
  const o0 = others.reduce((s, p) => s + procCpuSeconds(p), 0);
  const t0 = nowMs();
  await sleep(ms);
  const seconds = (nowMs() - t0) / 1000;
  const cpu = (procCpuSeconds(pid) - c0) / seconds;
  const othersCpu = (others.reduce((s, p) => s + procCpuSeconds(p), 0) - o0) / seconds;
  return { cpu, rss: procRss(pid), seconds, othersCpu };
}

/** SIGKILL a real fake-runtime agent and time its Node's Ready → Unknown through a watch. */
async function killToUnknown(m: Master, a: Api, dir: string, node: string): Promise<{ ms: number; reason: string }> {
  const token = await nodeToken(a, node);
  let agent: AgentProc | undefined = await startAgent(m, { name: node, token, dataDir: path.join(dir, node), runtime: 'fake' });
  try {
    await until(`${node} Ready`, async () => {
      const r = await call(a, 'GET', `/api/v1/nodes/${node}`);
      return r.status === 200 && isReady(r.body as NodeItem) ? true : undefined;
    }, 60_000, 200);
    await sleep(1000);
    let killedAt = 0;
    let resolveUnknown: (v: { at: number; message: string }) => void = () => undefined;
    const unknown = new Promise<{ at: number; message: string }>((resolve) => { resolveUnknown = resolve; });
    const w = await watch(a, `/api/v1/nodes?fieldSelector=metadata.name%3D${node}`, (e, at) => {
      const n = e.object as NodeItem;
      if (n.metadata?.name !== node || killedAt === 0) return;
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'Unknown') resolveUnknown({ at, message: ready.message ?? '' });
    });
    try {
      killedAt = nowMs();
      agent.proc.child.kill('SIGKILL');
      const r = await Promise.race([unknown, sleep(60_000).then(() => undefined)]);
      if (!r) throw new Error(`${node}: Ready did not turn Unknown within 60 s of SIGKILL`);
      return { ms: r.at - killedAt, reason: r.message };
    } finally {
      w.close();
    }
  } finally {
    await agent.proc.stop('SIGKILL');
    agent = undefined;
  }
}

// ---- the bench ---------------------------------------------------------------------------

interface Step { proc: 0 | 1; prefix: string; count: number; total: number }

export async function benchFleet(): Promise<BenchRow[]> {
  const sizes = (process.env.BENCH_FLEET_SIZES ?? '1000,5000,10000').split(',').map(Number);
  const steadyMs = Number(process.env.BENCH_FLEET_STEADY_MS ?? 30_000);
  const diskMs = Number(process.env.BENCH_FLEET_DISK_MS ?? 60_000);
  const registerMs = Number(process.env.BENCH_FLEET_REGISTER_MS ?? 150_000);
  const rows: BenchRow[] = [];
  const dir = tempDir('bramble-bench-fleet-');
  let master: Master | undefined;
  const hollows: HollowProc[] = [];
  try {
    master = await startMaster(dir);
    const m = master;
    const a = api(m, 32);

    // The plan: 10 idle nodes first (disk writes), then grow to each size; the second
    // hollow process takes the nodes past 5000 (FakeRuntime agents are cheap but not free).
    const idle = 10;
    const steps: Step[] = [];
    let total = idle;
    for (const size of sizes) {
      let add = size - total;
      while (add > 0) {
        const proc: 0 | 1 = total < 5000 ? 0 : 1;
        const room = proc === 0 ? Math.min(add, 5000 - total) : add;
        steps.push({ proc, prefix: `h${steps.length}-`, count: room, total: total + room });
        total += room;
        add -= room;
      }
    }
    const names = ['idle-', ...steps.map((s) => s.prefix)].flatMap((p, i) => Array.from({ length: i === 0 ? idle : steps[i - 1]!.count }, (_, j) => `${p}${j}`));
    const tk0 = nowMs();
    const tokens = await tokensFor(a, names);
    const tokensFile = path.join(dir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify(tokens), { mode: 0o600 });
    const tokenSecs = (nowMs() - tk0) / 1000;
    console.error(`  ${names.length} node tokens in ${tokenSecs.toFixed(1)} s (${collisions} id collisions retried)`);
    rows.push(row('fleet node tokens created', names.length / tokenSecs, 'tokens/s', undefined, `${names.length} POST /apis/bramble.dev/v1/tokens, 32 clients; ${collisions} answered 500 "already exists" (token id collision) and were retried`));

    const hollowDir = path.join(dir, 'hollow');
    const spawnHollow = async (): Promise<HollowProc> => {
      const h = new HollowProc(m, tokensFile, hollowDir);
      hollows.push(h);
      await h.ready();
      return h;
    };
    await spawnHollow();

    // 1. Disk writes with 10 idle nodes.
    await hollows[0]!.start('idle-', idle, 60_000);
    await until('10 idle nodes Ready', async () => ((await readyCount(a)) >= idle ? true : undefined), 60_000, 500);
    await sleep(5000);
    const w0 = procWriteBytes(m.proc.pid);
    const c0 = procCpuSeconds(m.proc.pid);
    const t0 = nowMs();
    await sleep(diskMs);
    const secs = (nowMs() - t0) / 1000;
    const written = procWriteBytes(m.proc.pid) - w0;
    const idleCpu = (procCpuSeconds(m.proc.pid) - c0) / secs;
    rows.push(row('master disk writes, 10 idle nodes', (written / secs) * 3600 / 1e6, 'MB/h', '<= 1', `write_bytes of /proc/PID/io: ${written} bytes in ${secs.toFixed(0)} s, × 3600 / ${secs.toFixed(0)}; heartbeats every 10 s; master CPU meanwhile ${(idleCpu * 100).toFixed(2)}%, RSS ${(procRss(m.proc.pid) / 2 ** 20).toFixed(0)} MB`));
    console.error(`  disk: ${written} bytes in ${secs.toFixed(0)} s`);

    // 2. Presence: SIGKILL a real agent, with 10 nodes.
    const k1 = await killToUnknown(m, a, dir, 'real-0');
    rows.push(row('node lost → Ready=Unknown, 10 nodes', k1.ms, 'ms', '<= 2000', `SIGKILL of a bramble agent --runtime fake process → watch event with Ready=Unknown ("${k1.reason}")`));
    console.error(`  kill → Unknown: ${k1.ms.toFixed(0)} ms`);

    // 3. Grow the fleet, measuring at each size.
    let measured = 0;
    for (const size of sizes) {
      const mine = steps.filter((s) => s.total <= size && s.total > measured);
      const g0 = nowMs();
      const m0 = procCpuSeconds(m.proc.pid);
      let stuck: string | undefined;
      let startMs = 0;
      try {
        for (const s of mine) {
          while (hollows.length <= s.proc) await spawnHollow();
          startMs += await hollows[s.proc]!.start(s.prefix, s.count, registerMs);
        }
        await until(`${size} nodes Ready`, async () => ((await readyCount(a)) >= size ? true : undefined), Math.max(5000, registerMs - (nowMs() - g0)), 5000);
      } catch (err) {
        stuck = err instanceof Error ? err.message.split('\n')[0] : String(err);
      }
      const regSecs = (nowMs() - g0) / 1000;
      const regCpu = (procCpuSeconds(m.proc.pid) - m0) / regSecs;
      if (stuck !== undefined) {
        const have = await readyCount(a).catch(() => -1);
        rows.push(row(`fleet ${size} nodes: registered`, have - idle, 'nodes', `>= ${size}`, `gave up after ${regSecs.toFixed(0)} s: ${stuck}; master CPU ${(regCpu * 100).toFixed(0)}% meanwhile`));
        console.error(`  ${size}: gave up (${stuck})`);
        break;
      }
      const others = hollows.map((h) => h.pid);
      await sleep(3000);
      const st = await steady(m, steadyMs, others);
      measured = size;
      rows.push(row(`fleet ${size} nodes: master CPU`, st.cpu * 100, '% of a core', size === 10_000 ? '<= 25' : undefined,
        `utime+stime over ${st.seconds.toFixed(0)} s of steady state (heartbeats every 10 s: ${(size / 10).toFixed(0)} status/s); registration took ${regSecs.toFixed(1)} s (hollow agents connected in ${(startMs / 1000).toFixed(1)} s) at ${(regCpu * 100).toFixed(0)}% master CPU; the hollow processes used ${(st.othersCpu * 100).toFixed(0)}% meanwhile`));
      rows.push(row(`fleet ${size} nodes: master RSS`, st.rss / 2 ** 20, 'MB'));
      console.error(`  ${size}: registered in ${regSecs.toFixed(1)} s, CPU ${(st.cpu * 100).toFixed(1)}%, RSS ${(st.rss / 2 ** 20).toFixed(0)} MB, hollow ${(st.othersCpu * 100).toFixed(0)}%`);
    }

    // 4. Presence again at the largest size reached.
    if (measured > 0) {
      const k2 = await killToUnknown(m, a, dir, 'real-1');
      rows.push(row(`node lost → Ready=Unknown, ${measured} nodes`, k2.ms, 'ms', '<= 2000', `as above, with ${measured} hollow nodes heartbeating`));
      console.error(`  kill → Unknown at ${measured}: ${k2.ms.toFixed(0)} ms`);
    }
    a.agent.destroy();
  } finally {
    await Promise.all(hollows.map((h) => h.stop()));
    await master?.proc.stop('SIGTERM', 20_000);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
