// Agent footprint: RSS and CPU of an idle `bramble agent` process with 10 running pods, for the
// Docker runtime and the fake one, measured from /proc (VmRSS; utime + stime).
//
// The agent runs with the node flags and agent flags docs/agent.md recommends: they are read
// from the `ExecStart=` line of its systemd unit when the bench runs (node flags between `node`
// and `bramble.js`, agent flags other than --master/--name/--data-dir/--token after `agent`).
// BENCH_AGENT_NODE_FLAGS / BENCH_AGENT_FLAGS override them.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BenchRow } from './types.js';
import { row, sleep } from './stats.js';
import { api, call, createRunning, deletePods, nodeToken, procCpuSeconds, procRss, Proc, removeNodeContainers, root, startAgent, startMaster, tempDir, until, type AgentProc, type Master } from './pods.js';

interface Recommended {
  nodeArgs: string[];
  agentArgs: string[];
  source: string;
}

/** The flags of the systemd unit in docs/agent.md (or the environment's override). */
export function recommendedFlags(): Recommended {
  const envNode = process.env.BENCH_AGENT_NODE_FLAGS;
  const envAgent = process.env.BENCH_AGENT_FLAGS;
  let nodeArgs: string[] = [];
  let agentArgs: string[] = [];
  let source = 'docs/agent.md (no ExecStart found)';
  try {
    const doc = readFileSync(path.join(root, 'docs', 'agent.md'), 'utf8');
    const m = /ExecStart=((?:[^\n]*\\\n)*[^\n]*)/.exec(doc);
    if (m) {
      const words = m[1]!.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
      const js = words.findIndex((w) => w.endsWith('bramble.js') || w.endsWith('/bramble'));
      const nodeAt = words.findIndex((w) => /(^|\/)node$/.test(w));
      if (js >= 0) {
        nodeArgs = nodeAt >= 0 && nodeAt < js ? words.slice(nodeAt + 1, js) : [];
        const rest = words.slice(words.indexOf('agent', js) + 1);
        const skip = new Set(['--master', '--name', '--data-dir', '--token', '--node-ip', '--runtime']);
        for (let i = 0; i < rest.length; i++) {
          const w = rest[i]!;
          const flag = w.split('=')[0]!;
          if (skip.has(flag)) { if (!w.includes('=')) i++; continue; }
          agentArgs.push(w);
        }
        source = 'docs/agent.md systemd unit';
      }
    }
  } catch { /* no docs: defaults */ }
  if (envNode !== undefined) { nodeArgs = envNode.split(/\s+/).filter(Boolean); source = 'BENCH_AGENT_NODE_FLAGS'; }
  if (envAgent !== undefined) { agentArgs = envAgent.split(/\s+/).filter(Boolean); source += ' + BENCH_AGENT_FLAGS'; }
  return { nodeArgs, agentArgs, source };
}

async function measureRuntime(m: Master, dir: string, runtime: 'docker' | 'fake', flags: Recommended, idleMs: number): Promise<BenchRow[]> {
  const a = api(m);
  const node = `bench-agent-${runtime}`;
  removeNodeContainers(node);
  let agent: AgentProc | undefined;
  try {
    const token = await nodeToken(a, node);
    agent = await startAgent(m, { name: node, token, dataDir: path.join(dir, node), runtime, nodeArgs: flags.nodeArgs, extraArgs: flags.agentArgs });
    await until('node registered', async () => ((await call(a, 'GET', `/api/v1/nodes/${node}`)).status === 200 ? true : undefined), 30_000);
    const names = Array.from({ length: 10 }, (_, i) => `${runtime}-${i}`);
    await createRunning(a, node, names, 5);
    // Let start-up work settle (GC, the first status reports), then measure idle.
    await sleep(5000);
    const pid = agent.proc.pid;
    const cpu0 = procCpuSeconds(pid);
    const t0 = performance.now();
    let rssMax = 0;
    while (performance.now() - t0 < idleMs) {
      rssMax = Math.max(rssMax, procRss(pid));
      await sleep(1000);
    }
    const cpu = procCpuSeconds(pid) - cpu0;
    const secs = (performance.now() - t0) / 1000;
    const rss = procRss(pid);
    rssMax = Math.max(rssMax, rss);
    const flagText = [...flags.nodeArgs, ...flags.agentArgs].join(' ') || 'none';
    const rows = [
      row(`agent RSS ${runtime}`, rss / 2 ** 20, 'MB', '<= 60', `VmRSS at the end of ${secs.toFixed(0)} s idle with 10 running pods (max over the window ${(rssMax / 2 ** 20).toFixed(1)} MB, MB = MiB); flags (${flags.source}): ${flagText}`),
      row(`agent CPU ${runtime}`, (cpu / secs) * 100, '% of a core', '<= 1', `utime+stime ${cpu.toFixed(2)} s over ${secs.toFixed(0)} s idle, 10 running pods`),
    ];
    console.error(`  agent ${runtime}: RSS ${(rss / 2 ** 20).toFixed(1)} MB, CPU ${((cpu / secs) * 100).toFixed(2)}%`);
    await deletePods(a, names);
    return rows;
  } finally {
    await agent?.proc.stop('SIGTERM');
    removeNodeContainers(node);
    a.agent.destroy();
  }
}

export async function benchAgent(): Promise<BenchRow[]> {
  const idleMs = Number(process.env.BENCH_AGENT_IDLE_MS ?? 30_000);
  const flags = recommendedFlags();
  console.error(`  agent flags from ${flags.source}: node [${flags.nodeArgs.join(' ')}], agent [${flags.agentArgs.join(' ')}]`);
  const dir = tempDir('bramble-bench-agent-');
  let master: Master | undefined;
  try {
    master = await startMaster(dir);
    const rows: BenchRow[] = [];
    // For scale: an idle bare `node` process (the floor any agent starts from).
    const bare = new Proc(['-e', 'setInterval(() => {}, 1000)'], {}, [], '');
    await sleep(2000);
    rows.push(row('bare node RSS', procRss(bare.pid) / 2 ** 20, 'MB', undefined, `an idle \`node -e "setInterval(…)"\` (${process.version}), for comparison`));
    await bare.stop('SIGKILL');
    for (const runtime of ['docker', 'fake'] as const) rows.push(...(await measureRuntime(master, dir, runtime, flags, idleMs)));
    return rows;
  } finally {
    await master?.proc.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
