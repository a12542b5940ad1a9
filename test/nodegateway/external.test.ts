// `--mqtt-url`: the master uses an external broker (Debian's mosquitto, started here) instead
// of embedding aedes. Auth and ACLs are then mosquitto's job; this checks the channel works.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { startMaster, type RunningMaster } from '../../src/master/master.js';
import { FakeNode, statusReport, until } from './env.js';

let dir: string;
let mosquitto: ChildProcess;
let port: number;
let master: RunningMaster;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

async function waitForPort(p: number): Promise<void> {
  const { connect } = await import('node:net');
  await until('mosquitto listening', () => new Promise<boolean>((resolve) => {
    const s = connect(p, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  }), 10_000);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bramble-mosquitto-'));
  port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n`);
  mosquitto = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForPort(port);
  master = await startMaster({ dataDir: path.join(dir, 'data'), apiPort: 0, mqttUrl: `mqtt://gateway:s3cret@127.0.0.1:${port}`, logger: silentLogger() });
}, 30_000);
afterAll(async () => {
  await master?.stop();
  if (mosquitto && mosquitto.exitCode === null) {
    const exited = new Promise((r) => mosquitto.once('exit', r));
    mosquitto.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('master with an external mosquitto broker', () => {
  it('reports the broker URL without credentials', () => {
    expect(master.mqttUrl).toBe(`mqtt://127.0.0.1:${port}`);
  });

  it('syncs a node, registers it, and marks it Unknown when its Last Will fires', async () => {
    const api = master.apiServer.resources;
    const { resourceByKind } = await import('../../src/api/registry.js');
    const pods = resourceByKind('v1', 'Pod')!;
    const nodes = resourceByKind('v1', 'Node')!;
    await api.create(pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ext' }, spec: { nodeName: 'pi-9', containers: [{ name: 'c', image: 'busybox' }] } });
    const node = await new FakeNode('pi-9', `mqtt://127.0.0.1:${port}`, 'unused').connect();
    await node.hello();
    const sync = await until('sync via mosquitto', () => node.desired('sync')[0], 10_000);
    expect(sync.pods.map((b: any) => b.pod.metadata.name)).toEqual(['ext']);
    await node.send('status', statusReport({ via: 'mosquitto' }));
    await until('registered', async () => ((await api.get(nodes, undefined, 'pi-9').catch(() => undefined))?.status as any)?.conditions?.[0]?.status === 'True', 10_000);
    (node.client as any).stream.destroy();
    const t0 = Date.now();
    await until('Unknown', async () => ((await api.get(nodes, undefined, 'pi-9')).status as any).conditions[0].status === 'Unknown', 10_000);
    console.log(`mosquitto: presence loss → Ready=Unknown in ${Date.now() - t0} ms`);
  });
});
