// `npm run bench [-- store api watch]`: run the benches in sequence (all by default), print one
// table, and write bench/results/<name>-<date>.json and bench/results/latest.json.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.js';
import { formatTable, meets } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const benches: Record<string, () => Promise<BenchRow[]>> = {
  store: async () => (await import('./store.js')).benchStore(),
  api: async () => (await import('./api.js')).benchApi(),
  watch: async () => (await import('./watch.js')).benchWatch(),
  pods: async () => (await import('./pods.js')).benchPods(),
  agent: async () => (await import('./agent.js')).benchAgent(),
  fleet: async () => (await import('./fleet.js')).benchFleet(),
  proxy: async () => (await import('./proxy.js')).benchProxy(),
  'proxy-iptables': async () => (await import('./proxy-iptables.js')).benchProxyIptables(),
  scheduling: async () => (await import('./scheduling.js')).benchScheduling(),
};

function usage(): never {
  console.error(`usage: npm run bench [-- ${Object.keys(benches).join(' ')}]  (default: all, in that order)`);
  process.exit(2);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.some((a) => a === '-h' || a === '--help')) usage();
  for (const a of args) if (!(a in benches)) usage();
  const selected = Object.keys(benches).filter((n) => args.length === 0 || args.includes(n));

  const started = new Date();
  const loadBefore = os.loadavg();
  if ((loadBefore[0] ?? 0) > os.availableParallelism() / 2) {
    console.error(`warning: the machine is busy (load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} on ${os.availableParallelism()} CPUs); the figures will be low and noisy`);
  }
  const rows: BenchRow[] = [];
  const failures: { bench: string; error: string }[] = [];
  const timings: Record<string, number> = {};
  for (const name of selected) {
    console.error(`bench ${name}...`);
    const t0 = performance.now();
    try {
      rows.push(...(await benches[name]!()));
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ bench: name, error });
      console.error(`bench ${name} failed: ${error}`);
    }
    timings[name] = Math.round(performance.now() - t0) / 1000;
    console.error(`bench ${name}: ${timings[name]} s`);
  }

  console.log('');
  console.log(formatTable(rows));
  const missed = rows.filter((r) => meets(r) === false);
  console.log('');
  console.log(`${rows.length} figures, ${rows.filter((r) => meets(r) !== undefined).length} with targets, ${missed.length} missed${missed.length ? `: ${missed.map((r) => r.name).join(', ')}` : ''}`);
  for (const f of failures) console.log(`FAILED: ${f.bench}`);

  const cpus = os.cpus();
  const result = {
    date: started.toISOString(),
    benches: selected,
    seconds: timings,
    machine: {
      cpus: cpus.length,
      availableParallelism: os.availableParallelism(),
      cpuModel: cpus[0]?.model,
      arch: process.arch,
      platform: process.platform,
      release: os.release(),
      totalMemoryBytes: os.totalmem(),
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(),
    },
    commit: gitCommit(),
    rows,
    failures,
  };
  const dir = path.join(here, 'results');
  await fs.mkdir(dir, { recursive: true });
  const name = selected.length === Object.keys(benches).length ? 'all' : selected.join('-');
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const file = path.join(dir, `${name}-${stamp}.json`);
  await fs.writeFile(file, json);
  await fs.writeFile(path.join(dir, 'latest.json'), json);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
