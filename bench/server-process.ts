// The API server under test, in its own process so the load generator does not share its
// event loop. Started by bench/api.ts (startServerProcess) as
//   node --import tsx bench/server-process.ts [--store level|memory]
// It prints one JSON line on stdout, {"url","token","pid","storePath","code"}, then serves until
// stdin closes or it gets SIGTERM/SIGINT, and removes its temp dir on the way out.
// Each line "stats" written to stdin is answered with one JSON line: the process's CPU time,
// memory and (LevelDB) the store's commit counters, so the bench can tell where time went.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ServerModule = typeof import('../src/apiserver/server.js');
type StorageModule = typeof import('../src/apiserver/storage.js');
type LoggerModule = typeof import('../src/log/logger.js');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The server code under test: the build in dist/ (what `bramble` runs; `npm run bench` builds it
 * first), or with BENCH_SERVER_FROM=src, or when there is no build, the TypeScript sources via tsx.
 */
const fromDist = process.env.BENCH_SERVER_FROM !== 'src' && existsSync(path.join(root, 'dist', 'apiserver', 'server.js'));

async function load<T>(rel: string): Promise<T> {
  const file = fromDist ? path.join(root, 'dist', `${rel}.js`) : path.join(root, 'src', `${rel}.ts`);
  return (await import(pathToFileURL(file).href)) as T;
}

interface WithStats {
  stats?: () => unknown;
}

async function main(): Promise<void> {
  const kindArg = process.argv.indexOf('--store');
  const kind = kindArg >= 0 && process.argv[kindArg + 1] === 'memory' ? 'memory' : 'level';
  const { ApiServer } = await load<ServerModule>('apiserver/server');
  const { openStore } = await load<StorageModule>('apiserver/storage');
  const { silentLogger } = await load<LoggerModule>('log/logger');
  const logger = silentLogger();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-bench-'));
  const storePath = path.join(dir, 'store');
  const store = openStore(kind === 'memory' ? { kind: 'memory' } : { kind: 'level', path: storePath }, logger);
  await store.start();
  const server = new ApiServer({ store, logger, processMetrics: false });
  const url = await server.start({ host: '127.0.0.1', port: 0 });
  const token = await server.tokens.create({ user: 'admin', roles: ['admin'] });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const guard = setTimeout(() => process.exit(2), 10_000);
      guard.unref();
      try {
        await server.stop();
        await store.stop();
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() !== 'stats') return;
    const s = (store as unknown as WithStats).stats;
    const out = {
      cpu: process.cpuUsage(),
      memory: process.memoryUsage(),
      uptime: process.uptime(),
      store: typeof s === 'function' ? s.call(store) : undefined,
      watchers: server.watches.size,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
  rl.on('close', () => void stop());

  process.stdout.write(`${JSON.stringify({ url, token, pid: process.pid, storePath: kind === 'level' ? storePath : null, code: fromDist ? 'dist' : 'src' })}\n`);
}

main().catch((err: unknown) => {
  console.error('bench server failed to start:', err);
  process.exit(1);
});
