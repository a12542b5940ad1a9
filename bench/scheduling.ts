// The scheduler end to end: `bramble master` (a child process of the built binary) with 100,
// 1000 and 5000 hollow nodes in other processes (bench/fleet.ts's hollow mode), and 10 000 pods
// without spec.nodeName created through the HTTP API by concurrent clients, as users would.
// The master schedules them (binding + Scheduled Event) and the hollow agents "run" them on
// their FakeRuntime, so the master also absorbs their pod status writes — the realistic case.
//
// Measured through one pod watch opened before the creates: when each pod's spec.nodeName and
// phase Running are first seen. Then, at 1000 nodes: the master's RSS with the 10 000 pods
// placed, and a failure: SIGKILL of a real `bramble agent --runtime fake` process running pods
// of a Deployment that tolerates `unreachable` for 0 s → Ready=Unknown → replacements Running.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchRow } from './types.js';
import { nowMs, row, sleep, summarize } from './stats.js';
import { HollowProc, readyCount, tokensFor } from './fleet.js';
import { api, call, must, nodeToken, procCpuSeconds, procRss, startAgent, startMaster, tempDir, until, watch, type AgentProc, type Api, type Master } from './pods.js';

const podsPath = '/api/v1/namespaces/default/pods';
/** Hollow nodes per hollow process (as bench/fleet.ts: FakeRuntime agents are cheap, not free). */
const perHollowProc = 5000;

interface PodSeen { metadata?: { name?: string; uid?: string }; spec?: { nodeName?: string }; status?: { phase?: string } }

/**
 * A small pod the scheduler must place: requests that fit 100 to a Pi 4 (3.7 cpu allocatable).
 * With `schedulerName`, a pod for a scheduler that does not run: it stays pending, untouched.
 */
function podManifest(name: string, schedulerName?: string): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { app: 'sched-bench' } },
    spec: {
      ...(schedulerName ? { schedulerName } : {}),
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '86400'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  };
}

/** When each pod was sent, bound and Running (nowMs()), from the creators and one watch. */
class PodTimeline {
  readonly sent = new Map<string, number>();
  readonly created = new Map<string, number>();
  readonly bound = new Map<string, number>();
  readonly running = new Map<string, number>();
  /** Pod events seen on the watch (ADDED and MODIFIED): one per write of a pod. */
  podWrites = 0;

  onEvent(o: PodSeen, at: number): void {
    const name = o.metadata?.name;
    if (!name) return;
    this.podWrites++;
    if (o.spec?.nodeName && !this.bound.has(name)) this.bound.set(name, at);
    if (o.status?.phase === 'Running' && !this.running.has(name)) this.running.set(name, at);
  }

  /** Milliseconds from the send of each pod's create to `when`. */
  latencies(when: Map<string, number>): number[] {
    const out: number[] = [];
    for (const [name, t] of when) {
      const s = this.sent.get(name);
      if (s !== undefined) out.push(t - s);
    }
    return out;
  }
}

/** Creates `names` with `clients` closed-loop HTTP clients; returns the non-201 count. */
async function createAll(a: Api, names: string[], clients: number, tl: PodTimeline, schedulerName?: string): Promise<number> {
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++]!;
      tl.sent.set(name, nowMs());
      const r = await call(a, 'POST', podsPath, podManifest(name, schedulerName));
      tl.created.set(name, nowMs());
      if (r.status !== 201) {
        errors++;
        if (errors <= 3) console.error(`  create ${name}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, () => worker()));
  return errors;
}

/** The store's revision now (a list's resourceVersion): every write of any kind bumps it. */
async function revision(a: Api): Promise<number> {
  const r = await must(call(a, 'GET', '/api/v1/namespaces/default/pods?limit=1'), 'list pods');
  return Number((r.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

/** How many Events the store holds now (their list's item count). */
async function eventCount(a: Api): Promise<number> {
  const r = await must(call(a, 'GET', '/api/v1/events'), 'list events');
  return (r.body as { items: unknown[] }).items.length;
}

/** Where the master's memory is, from its /metrics (prom-client's process metrics), in MB. */
async function memoryNote(a: Api): Promise<string> {
  const r = await call(a, 'GET', '/metrics');
  const text = typeof r.body === 'string' ? r.body : '';
  const metric = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
  return `V8 heap used ${metric('bramble_nodejs_heap_size_used_bytes').toFixed(0)} MB of ${metric('bramble_nodejs_heap_size_total_bytes').toFixed(0)} MB, external ${metric('bramble_nodejs_external_memory_bytes').toFixed(0)} MB (/metrics)`;
}

async function waitCount(what: string, m: Map<string, number>, n: number, timeoutMs: number): Promise<boolean> {
  return until(what, async () => (m.size >= n ? true : undefined), timeoutMs, 100).catch(() => false);
}

// ---- the fleet --------------------------------------------------------------------------

interface Cluster { dir: string; master: Master; a: Api; hollows: HollowProc[] }

/** The fleet did not register in time: how many nodes did, and why we stopped waiting. */
class NotRegistered extends Error {
  constructor(readonly ready: number, readonly seconds: number, cause: string) { super(cause); }
}

/** A fresh master and `nodes` hollow nodes, all Ready (or NotRegistered after `registerMs`). */
async function startCluster(nodes: number, clients: number, registerMs: number): Promise<Cluster> {
  const dir = tempDir('bramble-bench-sched-');
  const master = await startMaster(dir);
  const c: Cluster = { dir, master, a: api(master, clients + 4), hollows: [] };
  try {
    const names = Array.from({ length: nodes }, (_, i) => `h${Math.floor(i / perHollowProc)}-${i % perHollowProc}`);
    const tokensFile = path.join(dir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify(await tokensFor(c.a, names)), { mode: 0o600 });
    const t0 = nowMs();
    try {
      for (let p = 0; p * perHollowProc < nodes; p++) {
        const h = new HollowProc(master, tokensFile, path.join(dir, 'hollow'));
        c.hollows.push(h);
        await h.ready();
        await h.start(`h${p}-`, Math.min(perHollowProc, nodes - p * perHollowProc), registerMs);
      }
      await until(`${nodes} nodes Ready`, async () => ((await readyCount(c.a)) >= nodes ? true : undefined), Math.max(5000, registerMs - (nowMs() - t0)), 2000);
    } catch (err) {
      const ready = await readyCount(c.a).catch(() => -1);
      throw new NotRegistered(ready, (nowMs() - t0) / 1000, err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
    console.error(`  ${nodes} hollow nodes Ready in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
    await sleep(3000);
    return c;
  } catch (err) {
    await stopCluster(c);
    throw err;
  }
}

async function stopCluster(c: Cluster): Promise<void> {
  c.a.agent.destroy();
  await Promise.all(c.hollows.map((h) => h.stop()));
  await c.master.proc.stop('SIGTERM', 20_000);
  rmSync(c.dir, { recursive: true, force: true });
}

// ---- throughput ---------------------------------------------------------------------------

interface Throughput { rows: BenchRow[]; allRunning: boolean }

async function throughput(c: Cluster, nodes: number, count: number, clients: number, timeoutMs: number): Promise<Throughput> {
  const tl = new PodTimeline();
  const w = await watch(c.a, podsPath, (e, at) => tl.onEvent(e.object as PodSeen, at));
  const pid = c.master.proc.pid;
  const cpu0 = procCpuSeconds(pid);
  const others0 = c.hollows.reduce((s, h) => s + procCpuSeconds(h.pid), 0);
  const names = Array.from({ length: count }, (_, i) => `sp-${i}`);
  const rv0 = await revision(c.a);
  const events0 = await eventCount(c.a);
  const load = os.loadavg()[0] ?? 0;
  const self0 = process.cpuUsage();
  const t0 = nowMs();
  let errors = 0;
  try {
    errors = await createAll(c.a, names, clients, tl);
    const createdAt = nowMs();
    const allBound = await waitCount(`${count} pods bound`, tl.bound, count - errors, timeoutMs);
    const boundAt = nowMs();
    const cpuBind = procCpuSeconds(pid) - cpu0;
    const allRunning = await waitCount(`${count} pods Running`, tl.running, count - errors, timeoutMs);
    const cpuAll = procCpuSeconds(pid) - cpu0;
    const othersCpu = c.hollows.reduce((s, h) => s + procCpuSeconds(h.pid), 0) - others0;
    const writes = (await revision(c.a)) - rv0;
    const events = (await eventCount(c.a)) - events0;
    const perPod = (n: number): string => (n / count).toFixed(2);
    const writeSplit = `pods ${perPod(tl.podWrites)} (create, binding, the agents' status writes), Events ${perPod(events)}, the rest (node heartbeats and leases) ${perPod(writes - tl.podWrites - events)}`;
    const selfCpu = process.cpuUsage(self0);
    const loadGen = `this load generator ${((selfCpu.user + selfCpu.system) / 1e6).toFixed(1)} s of CPU; load average ${load.toFixed(1)} on ${os.availableParallelism()} CPUs at the start`;
    const lastBound = Math.max(...tl.bound.values());
    const lastRunning = Math.max(t0, ...tl.running.values());
    const bindSecs = (lastBound - t0) / 1000;
    const runSecs = (lastRunning - t0) / 1000;
    const createSecs = (createdAt - t0) / 1000;
    const b = summarize(tl.latencies(tl.bound));
    const r = summarize(tl.latencies(tl.running));
    const label = `${nodes} nodes`;
    const rateTarget = nodes === 1000 ? '>= 2000' : nodes === 5000 ? '>= 500' : undefined;
    const note = `${count} pods (cpu 10m, memory 16Mi, no nodeName) POSTed by ${clients} HTTP clients in ${createSecs.toFixed(1)} s (${(count / createSecs).toFixed(0)} creates/s${errors ? `, ${errors} not 201` : ''}); ` +
      `${tl.bound.size} bound in ${bindSecs.toFixed(1)} s from the first create to the last spec.nodeName seen on the watch${allBound ? '' : ` (gave up after ${(boundAt - createdAt) / 1000} s)`}; ` +
      `master CPU ${((cpuBind / ((boundAt - t0) / 1000)) * 100).toFixed(0)}% of a core until then (${((cpuBind * 1e6) / count).toFixed(0)} µs per pod)`;
    const rows = [
      row(`scheduling ${label}: pods bound`, tl.bound.size / bindSecs, 'pods/s', rateTarget, note),
      row(`scheduling ${label}: time-to-bind p50`, b.p50, 'ms', undefined, loadGen),
      row(`scheduling ${label}: time-to-bind p99`, b.p99, 'ms', undefined, `from just before each create's POST to its spec.nodeName on the watch (max ${b.max.toFixed(0)} ms); while the creators run, this includes the pod's wait in the scheduler's queue behind the pods created before it`),
      row(`scheduling ${label}: pods Running`, tl.running.size / runSecs, 'pods/s', undefined,
        `${tl.running.size}/${count} Running (phase on the watch) ${runSecs.toFixed(1)} s after the first create${allRunning ? '' : ' (gave up)'}; create → Running p50 ${r.p50.toFixed(0)} / p99 ${r.p99.toFixed(0)} ms; the hollow agents' status writes come back through MQTT and the node gateway; master CPU over the whole run ${cpuAll.toFixed(1)} s (${((cpuAll * 1e6) / count).toFixed(0)} µs per pod), hollow processes ${othersCpu.toFixed(1)} s; ${(writes / count).toFixed(1)} store writes per pod (revisions of every kind over the run ÷ pods): ${writeSplit}`),
    ];
    console.error(`  ${label}: ${(tl.bound.size / bindSecs).toFixed(0)} pods/s bound (p50 ${b.p50.toFixed(0)}, p99 ${b.p99.toFixed(0)} ms), ${tl.running.size} Running after ${runSecs.toFixed(1)} s; creates ${(count / createSecs).toFixed(0)}/s; master CPU ${cpuBind.toFixed(1)} s to bind, ${cpuAll.toFixed(1)} s in all`);
    return { rows, allRunning };
  } finally {
    w.close();
  }
}

// ---- the API alone -------------------------------------------------------------------------

/**
 * The same creates for a scheduler that does not run: what the API server (and the master's
 * informers) cost per pod with no scheduling, binding or agents. The end-to-end rate cannot
 * beat this on the same machine. Run last on a cluster: the pods are left pending.
 */
async function createCeiling(c: Cluster, nodes: number, count: number, clients: number): Promise<BenchRow> {
  const tl = new PodTimeline();
  const names = Array.from({ length: count }, (_, i) => `pending-${i}`);
  const pid = c.master.proc.pid;
  const cpu0 = procCpuSeconds(pid);
  const self0 = process.cpuUsage();
  const t0 = nowMs();
  const errors = await createAll(c.a, names, clients, tl, 'bench-absent-scheduler');
  const secs = (nowMs() - t0) / 1000;
  const cpu = procCpuSeconds(pid) - cpu0;
  const self = process.cpuUsage(self0);
  const rate = (count - errors) / secs;
  console.error(`  API creates alone, ${nodes} nodes: ${rate.toFixed(0)} pods/s, master ${((cpu * 1e6) / count).toFixed(0)} µs per pod`);
  return row(`API pod creates alone, ${nodes} nodes`, rate, 'pods/s', undefined,
    `${count} pods for a scheduler that does not run (spec.schedulerName), POSTed by ${clients} HTTP clients in ${secs.toFixed(1)} s${errors ? ` (${errors} not 201)` : ''}: the ceiling of the end-to-end rate on this machine; master CPU ${((cpu / secs) * 100).toFixed(0)}% of a core (${((cpu * 1e6) / count).toFixed(0)} µs per pod), this load generator ${(((self.user + self.system) / 1e6 / secs) * 100).toFixed(0)}% (${((self.user + self.system) / count).toFixed(0)} µs per pod)`);
}

// ---- failure ------------------------------------------------------------------------------

interface NodeSeen { metadata?: { name?: string }; status?: { conditions?: { type: string; status: string }[] } }

/** Two real fake-runtime agents; `replicas` pods of a Deployment pinned to them, tolerating unreachable for 0 s. */
function deployment(replicas: number, nodes: string[]): unknown {
  const labels = { app: 'sched-bench-failover' };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'failover', labels },
    spec: {
      replicas, selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 0,
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: nodes }] }] } } },
          tolerations: [
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
          ],
          containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '86400'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
        },
      },
    },
  };
}

interface FailoverPod { metadata?: { name?: string; uid?: string; labels?: Record<string, string> }; spec?: { nodeName?: string }; status?: { phase?: string } }

async function failover(c: Cluster, nodes: number, podCount: number): Promise<BenchRow[]> {
  const names = ['real-0', 'real-1'];
  const agents: AgentProc[] = [];
  try {
    for (const n of names) agents.push(await startAgent(c.master, { name: n, token: await nodeToken(c.a, n), dataDir: path.join(c.dir, n), runtime: 'fake' }));
    await until('real agents Ready', async () => {
      const r = await Promise.all(names.map((n) => call(c.a, 'GET', `/api/v1/nodes/${n}`)));
      return r.every((x) => x.status === 200 && (x.body as NodeSeen).status?.conditions?.some((k) => k.type === 'Ready' && k.status === 'True')) ? true : undefined;
    }, 60_000, 200);
    const replicas = 4;
    const pods = new Map<string, FailoverPod>();
    const pw = await watch(c.a, `${podsPath}?labelSelector=app%3Dsched-bench-failover`, (e) => {
      const p = e.object as FailoverPod;
      if (e.type === 'DELETED') pods.delete(p.metadata?.uid ?? '');
      else pods.set(p.metadata?.uid ?? '', p);
    });
    try {
      await must(call(c.a, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment(replicas, names)), 'create deployment');
      const running = (node?: string): FailoverPod[] => [...pods.values()].filter((p) => p.status?.phase === 'Running' && (node === undefined || p.spec?.nodeName === node));
      await until('failover pods Running', async () => (running().length === replicas ? true : undefined), 60_000, 100);
      const victim = running('real-0').length > 0 ? 'real-0' : 'real-1';
      const survivor = victim === 'real-0' ? 'real-1' : 'real-0';
      const before = new Set(running().map((p) => p.metadata?.uid));
      const moved = running(victim).length;
      await sleep(1000);
      let unknownAt = 0;
      const nw = await watch(c.a, `/api/v1/nodes?fieldSelector=metadata.name%3D${victim}`, (e, at) => {
        const ready = (e.object as NodeSeen).status?.conditions?.find((k) => k.type === 'Ready');
        if (ready?.status === 'Unknown' && unknownAt === 0) unknownAt = at;
      });
      try {
        const killedAt = nowMs();
        agents[names.indexOf(victim)]!.proc.child.kill('SIGKILL');
        await until(`${victim} Ready=Unknown`, async () => (unknownAt > 0 ? true : undefined), 60_000, 20);
        await until('replacements Running', async () => {
          const fresh = running(survivor).filter((p) => !before.has(p.metadata?.uid));
          return fresh.length >= moved && running().length >= replicas ? true : undefined;
        }, 120_000, 20);
        const replacedAt = nowMs();
        return [
          row(`node lost → Ready=Unknown, ${nodes} nodes + ${podCount} pods`, unknownAt - killedAt, 'ms', '<= 2000', `SIGKILL of a bramble agent --runtime fake process → Node watch event with Ready=Unknown (socket closed → broker's Last Will → node gateway)`),
          row(`node lost → replacement pods Running, ${nodes} nodes`, replacedAt - killedAt, 'ms', undefined,
            `a Deployment of ${replicas} (required affinity to two real agents, tolerating unreachable/not-ready NoExecute for 0 s), ${moved} of them on the killed node: SIGKILL → Unknown → unreachable taint (node lifecycle) → eviction (delete, grace 0) → ReplicaSet creates → scheduler binds on the other node → its agent reports Running (watch); Unknown → Running took ${(replacedAt - unknownAt).toFixed(0)} ms`),
        ];
      } finally {
        nw.close();
      }
    } finally {
      pw.close();
    }
  } finally {
    for (const a of agents) await a.proc.stop('SIGKILL');
  }
}

// ---- memory ---------------------------------------------------------------------------

/**
 * BENCH_SCHED_HEAP_SNAPSHOT=<dir>: a V8 heap snapshot of the master right after the RSS row, to
 * see what holds its memory. The master must have been started with the matching node flags
 * (BENCH_MASTER_NODE_OPTIONS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>"); this
 * sends the signal and waits until a new .heapsnapshot file in <dir> stops growing.
 */
async function heapSnapshot(c: Cluster, dir: string): Promise<void> {
  const snapshots = (): Map<string, number> => new Map(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).map((f) => [f, statSync(path.join(dir, f)).size]));
  const before = snapshots();
  process.kill(c.master.proc.pid, 'SIGUSR2');
  let last = -1;
  const done = await until('heap snapshot written', async () => {
    const fresh = [...snapshots()].find(([f]) => !before.has(f));
    if (!fresh) return undefined;
    const stable = fresh[1] > 0 && fresh[1] === last;
    last = fresh[1];
    return stable ? fresh[0] : undefined;
  }, 120_000, 2000).catch(() => undefined);
  console.error(done ? `  heap snapshot: ${path.join(dir, done)}` : `  no heap snapshot appeared in ${dir} (is the master running with --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}?)`);
}

// ---- the bench ---------------------------------------------------------------------------

export async function benchScheduling(): Promise<BenchRow[]> {
  const sizes = (process.env.BENCH_SCHED_SIZES ?? '100,1000,5000').split(',').map(Number);
  const count = Number(process.env.BENCH_SCHED_PODS ?? 10_000);
  const clients = Number(process.env.BENCH_SCHED_CLIENTS ?? 32);
  const timeoutMs = Number(process.env.BENCH_SCHED_TIMEOUT_MS ?? 240_000);
  const registerMs = Number(process.env.BENCH_SCHED_REGISTER_MS ?? 300_000);
  const rows: BenchRow[] = [];
  for (const nodes of sizes) {
    let c: Cluster;
    try {
      c = await startCluster(nodes, clients, registerMs);
    } catch (err) {
      if (!(err instanceof NotRegistered)) throw err;
      // As bench/fleet.ts does: say how far the fleet got instead of losing every row.
      rows.push(row(`scheduling ${nodes} nodes: registered`, err.ready, 'nodes', `>= ${nodes}`, `gave up after ${err.seconds.toFixed(0)} s (BENCH_SCHED_REGISTER_MS): ${err.message}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`));
      console.error(`  ${nodes}: ${err.ready} nodes Ready after ${err.seconds.toFixed(0)} s, giving up on this size`);
      continue;
    }
    try {
      const t = await throughput(c, nodes, count, clients, timeoutMs);
      rows.push(...t.rows);
      if (nodes === 1000) {
        await sleep(5000);
        const rss = procRss(c.master.proc.pid);
        const mem = await memoryNote(c.a).catch((err: unknown) => `no /metrics: ${String(err)}`);
        rows.push(row(`master RSS, ${nodes} nodes + ${count} pods`, rss / 2 ** 20, 'MB', '<= 400', `VmRSS 5 s after the throughput run (${t.allRunning ? 'every pod Running' : 'not every pod Running'}); ${mem}`));
        console.error(`  RSS at ${nodes} nodes + ${count} pods: ${(rss / 2 ** 20).toFixed(0)} MB`);
        if (process.env.BENCH_SCHED_HEAP_SNAPSHOT) await heapSnapshot(c, process.env.BENCH_SCHED_HEAP_SNAPSHOT);
        const f = await failover(c, nodes, count);
        rows.push(...f);
        console.error(`  failover: ${f.map((r) => `${r.name} ${r.value} ${r.unit}`).join('; ')}`);
        rows.push(await createCeiling(c, nodes, count, clients));
      }
    } finally {
      await stopCluster(c);
    }
  }
  return rows;
}
