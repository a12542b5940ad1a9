// The proxy under test, in its own process so the load generator (client, sink and echo server,
// in bench/proxy.ts) does not share its event loop: on 2 cores the proxy gets one core and the
// load generator the other, as a proxy on a node gets its own CPU time next to the pods' traffic.
// Started with fork() (IPC), `node --import tsx bench/proxy-process.ts`. Messages (see Request):
//   sync → the UserspaceProxy serves that state (timed);
//   plain → a reference forwarder on its own port: `pipe` (a.pipe(b); b.pipe(a)) or `pipeline`;
//   stats → this process's CPU time and RSS.
// The proxy code is the build in dist/ when there is one (what `bramble` runs), else src via tsx.
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProxyState } from '../src/proxy/types.js';

type BackendModule = typeof import('../src/proxy/userspace/backend.js');
type LoggerModule = typeof import('../src/log/logger.js');

export type Request =
  | { type: 'sync'; state: ProxyState; nodeAddress: string }
  | { type: 'plain'; variant: 'pipe' | 'pipeline'; host: string; target: { host: string; port: number } }
  | { type: 'stats' };

export type Reply =
  | { type: 'synced'; ms: number; failures: number; listening: number }
  | { type: 'plain'; port: number }
  | { type: 'stats'; cpuUs: number; rssBytes: number };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fromDist = process.env.BENCH_SERVER_FROM !== 'src' && existsSync(path.join(root, 'dist', 'proxy', 'userspace', 'backend.js'));

async function load<T>(rel: string): Promise<T> {
  const file = fromDist ? path.join(root, 'dist', `${rel}.js`) : path.join(root, 'src', `${rel}.ts`);
  return (await import(pathToFileURL(file).href)) as T;
}

let proxy: InstanceType<BackendModule['UserspaceProxy']> | undefined;

async function sync(req: Extract<Request, { type: 'sync' }>): Promise<Reply> {
  if (!proxy) {
    const { UserspaceProxy } = await load<BackendModule>('proxy/userspace/backend');
    const { silentLogger } = await load<LoggerModule>('log/logger');
    proxy = new UserspaceProxy({ nodeAddresses: [req.nodeAddress], logger: silentLogger() });
    await proxy.start();
  }
  const t0 = performance.now();
  await proxy.sync(req.state);
  return { type: 'synced', ms: performance.now() - t0, failures: proxy.listenFailures().length, listening: proxy.listening().length };
}

/** The reference a userspace proxy should beat: the shortest correct forwarder Node offers. */
async function plain(req: Extract<Request, { type: 'plain' }>): Promise<Reply> {
  const srv = net.createServer({ noDelay: true }, (c) => {
    const up = net.connect({ ...req.target, noDelay: true });
    if (req.variant === 'pipe') {
      c.pipe(up);
      up.pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    } else {
      pipeline(c, up, () => c.destroy());
      pipeline(up, c, () => up.destroy());
    }
  });
  await new Promise<void>((r) => srv.listen(0, req.host, () => r()));
  return { type: 'plain', port: (srv.address() as net.AddressInfo).port };
}

function stats(): Reply {
  const u = process.cpuUsage();
  return { type: 'stats', cpuUs: u.user + u.system, rssBytes: process.memoryUsage().rss };
}

process.on('message', (req: Request) => {
  const run = req.type === 'sync' ? sync(req) : req.type === 'plain' ? plain(req) : Promise.resolve(stats());
  run.then((reply) => process.send!(reply), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
