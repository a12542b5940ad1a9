// The built `bramble master` with its embedded broker, driven by the CLI (token, logs) and a
// scripted node connecting to the printed MQTT URL with a token minted by `bramble token create`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bramble, ensureBuilt, Running } from '../cli/helpers.js';
import { FakeNode, statusReport, until } from './env.js';

let dir: string;
let master: Running;
let env: NodeJS.ProcessEnv;
let mqttUrl: string;
let apiUrl: string;
let adminToken: string;
const run = (args: string[]) => bramble(args, env);

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'bramble-master-mqtt-'));
  env = { HOME: dir, BRAMBLE_KUBECONFIG: '', BRAMBLE_LOG_LEVEL: 'warn' };
  master = new Running(['master', '--data-dir', path.join(dir, 'data'), '--api-port', '0', '--mqtt-port', '0', '--proxy-mode', 'off'], env);
  apiUrl = (await master.waitFor(/^API server: (\S+)$/m))[1]!;
  env.BRAMBLE_KUBECONFIG = (await master.waitFor(/^Kubeconfig: (.+)$/m))[1]!;
  mqttUrl = (await master.waitFor(/^MQTT broker: (\S+)$/m))[1]!;
  await master.waitFor(/^Ready\. Press Ctrl-C to stop\.$/m);
  adminToken = /token: (\S+)/.exec((await import('node:fs')).readFileSync(env.BRAMBLE_KUBECONFIG, 'utf8'))![1]!;
}, 60_000);
afterAll(async () => {
  await master?.stop('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bramble master with its MQTT broker', () => {
  it('prints the broker URL after the existing lines, before Ready', () => {
    expect(mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const lines = master.stdout.split('\n');
    expect(lines.slice(0, 5).map((l) => l.split(':')[0])).toEqual(['API server', 'Kubeconfig', 'Data dir', 'MQTT broker', 'Ready. Press Ctrl-C to stop.']);
  });

  it('token create prints only a token; a node connects with it, registers, and streams logs to `bramble logs`', async () => {
    const created = await run(['token', 'create', '--node', 'pi-1', '--ttl', '1h']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const token = created.stdout.trim();
    expect(created.stdout).toMatch(/^[0-9a-f]{8}\.[0-9a-f]{32}\n$/);
    const node = await new FakeNode('pi-1', mqttUrl, token).connect();
    node.client.on('message', (topic, payload) => {
      const m = JSON.parse(payload.toString());
      if (!topic.endsWith('/logs/request') || m.type !== 'logs.start') return;
      void node.send('logs/data', { v: 1, type: 'logs.data', id: m.id, seq: 0, data: Buffer.from(`hello from ${m.pod}/${m.container}\n`).toString('base64'), end: true });
    });
    await node.hello();
    await node.send('status', statusReport({ 'kubernetes.io/arch': 'arm64' }));
    await until('node registered', async () => (await run(['get', 'nodes', '-o', 'name'])).stdout.includes('node/pi-1'), 10_000);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'pi-1', containers: [{ name: 'app', image: 'busybox' }] } };
    expect((await bramble(['apply', '-f', '-'], env, JSON.stringify(pod))).code).toBe(0);
    await until('upsert', () => node.desired('upsert').some((m) => m.bundle.pod.metadata.name === 'web'));
    const logs = await run(['logs', 'web']);
    expect(logs).toMatchObject({ code: 0, stdout: 'hello from web/app\n', stderr: '' });
    await node.close();
  }, 30_000);

  it('token list shows no secrets; a revoked node token can no longer connect', async () => {
    const token = (await run(['token', 'create', '--node', 'pi-2'])).stdout.trim();
    const id = token.split('.')[0]!;
    const list = await run(['token', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+system:node:pi-2\\s+node\\s+pi-2`, 'm'));
    expect(list.stdout).not.toContain(token.split('.')[1]);
    expect(await run(['token', 'revoke', id])).toMatchObject({ code: 0, stdout: `token "${id}" revoked\n` });
    const err = await connectAsync(mqttUrl, { clientId: 'bramble-agent-pi-2', username: 'pi-2', password: token, reconnectPeriod: 0 }).then(() => undefined, (e: { code?: number }) => e);
    expect(err?.code).toBe(4);
    expect((await run(['token', 'revoke', id])).stderr).toMatch(/NotFound/);
  });

  it('logs errors: several containers without -c', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'duo', namespace: 'default' }, spec: { nodeName: 'pi-1', containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] } };
    await bramble(['apply', '-f', '-'], env, JSON.stringify(pod));
    const r = await run(['logs', 'duo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (BadRequest): a container name must be specified for pod duo, choose one of: [a b]\n');
  });

  it('stops cleanly (gateway, broker, API, store)', async () => {
    expect(apiUrl).toMatch(/^http:/);
    expect(adminToken).toBeTruthy();
    expect(await master.stop('SIGTERM')).toBe(0);
    await expect(connectAsync(mqttUrl, { reconnectPeriod: 0, connectTimeout: 1000 })).rejects.toBeTruthy();
  });
});
