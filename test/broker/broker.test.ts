// The embedded broker with real clients: mqtt.js and Debian's mosquitto_pub/mosquitto_sub.
// Every client authenticates; a node reads and writes only its own subtree.
import { spawn } from 'node:child_process';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterUsername } from '../../src/broker/credentials.js';
import { encode } from '../../src/protocol/codec.js';
import { FakeNode, startEnv, until, type Env } from '../nodegateway/env.js';

let env: Env;
let tokens: Record<string, string>;
let spy: MqttClient;
const spied: { topic: string; payload: Buffer }[] = [];

beforeAll(async () => {
  env = await startEnv();
  tokens = { 'pi-1': await env.nodeToken('pi-1'), 'pi-2': await env.nodeToken('pi-2') };
  // A master-credential client that sees everything under the tree: what "got through" means.
  spy = await connectAsync(env.mqttUrl, { clientId: 'spy', username: masterUsername, password: env.secret, reconnectPeriod: 0 });
  spy.on('message', (topic, payload) => spied.push({ topic, payload }));
  await spy.subscribeAsync('bramble/v1/nodes/#', { qos: 1 });
});
afterAll(async () => {
  await spy?.endAsync(true);
  await env?.stop();
});

function connectError(opts: Parameters<typeof connectAsync>[1]): Promise<{ code?: number; message: string }> {
  return connectAsync(env.mqttUrl, { reconnectPeriod: 0, connectTimeout: 3000, ...opts }).then(
    async (c) => { await c.endAsync(true); throw new Error('connected, but should have been refused'); },
    (err: { code?: number; message: string }) => err,
  );
}

interface Run { code: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('broker authentication (mqtt.js)', () => {
  it('refuses a client without credentials', async () => {
    const err = await connectError({ clientId: 'anon' });
    expect(err.code).toBe(4);
    expect(err.message).toMatch(/Bad username or password/);
  });

  it('refuses a wrong token', async () => {
    const err = await connectError({ clientId: 'bramble-agent-pi-1', username: 'pi-1', password: `${tokens['pi-1']!.split('.')[0]}.0000` });
    expect(err.code).toBe(4);
  });

  it('refuses another node\'s token, and an admin token', async () => {
    expect((await connectError({ clientId: 'bramble-agent-pi-1', username: 'pi-1', password: tokens['pi-2'] })).code).toBe(4);
    expect((await connectError({ clientId: 'bramble-agent-pi-1', username: 'pi-1', password: env.h.token })).code).toBe(4);
  });

  it('refuses a node using another node\'s client id, and the master using an agent id', async () => {
    expect((await connectError({ clientId: 'bramble-agent-pi-2', username: 'pi-1', password: tokens['pi-1'] })).code).toBe(2);
    expect((await connectError({ clientId: 'bramble-agent-pi-1', username: masterUsername, password: env.secret })).code).toBe(2);
  });

  it('refuses a wrong master secret', async () => {
    expect((await connectError({ clientId: 'x', username: masterUsername, password: 'guess' })).code).toBe(4);
  });

  it('logs refusals without the secret', () => {
    const refusals = env.logs.filter((l) => /MQTT client refused/.test(l.msg));
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    const text = JSON.stringify(env.logs);
    expect(text).not.toContain(tokens['pi-1']!.split('.')[1]);
    expect(text).not.toContain(env.secret);
  });
});

describe('broker ACL (mqtt.js)', () => {
  it('a node may subscribe to its own topics only; refused filters get 0x80 and the connection stays', async () => {
    const n = await new FakeNode('pi-1', env.mqttUrl, tokens['pi-1']!).connect();
    // mqtt.js rejects a subscribe whose filter was granted 0x80 (128).
    for (const filter of ['bramble/v1/nodes/pi-2/desired', 'bramble/v1/nodes/+/desired', '#', 'bramble/v1/nodes/pi-2/#']) {
      await expect(n.client.subscribeAsync(filter, { qos: 1 }), filter).rejects.toMatchObject({ packet: { granted: [128] } });
    }
    expect(await n.client.subscribeAsync('bramble/v1/nodes/pi-1/desired', { qos: 1 })).toEqual([{ topic: 'bramble/v1/nodes/pi-1/desired', qos: 1 }]);
    expect(n.client.connected).toBe(true);
    // The master publishes to both nodes: pi-1 sees only its own.
    await spy.publishAsync('bramble/v1/nodes/pi-2/desired', encode({ v: 1, type: 'sync', revision: 1, pods: [] }), { qos: 1 });
    await spy.publishAsync('bramble/v1/nodes/pi-1/desired', encode({ v: 1, type: 'sync', revision: 2, pods: [] }), { qos: 1 });
    await until('pi-1 gets its own sync', () => n.desired().some((m) => m.revision === 2));
    await sleep(200);
    expect(n.received.map((r) => r.topic)).not.toContain('bramble/v1/nodes/pi-2/desired');
    expect(n.received.every((r) => r.topic.startsWith('bramble/v1/nodes/pi-1/'))).toBe(true);
    await n.close();
  });

  it('a node does not receive node → master messages, not even its own', async () => {
    const n = await new FakeNode('pi-1', env.mqttUrl, tokens['pi-1']!).connect();
    await n.send('status', { v: 1, type: 'status', labels: {}, status: {} });
    await sleep(200);
    expect(n.received.filter((r) => r.topic.endsWith('/status'))).toEqual([]);
    await n.close();
  });

  it('a publish to another node\'s topics closes the client and goes nowhere', async () => {
    const n = await new FakeNode('pi-1', env.mqttUrl, tokens['pi-1']!).connect();
    const closed = new Promise<void>((r) => n.client.once('close', () => r()));
    const before = spied.length;
    n.client.publish('bramble/v1/nodes/pi-2/status', encode({ v: 1, type: 'status', labels: { forged: 'yes' }, status: {} }), { qos: 1 });
    await closed;
    await sleep(200);
    expect(spied.slice(before).filter((s) => s.topic === 'bramble/v1/nodes/pi-2/status')).toEqual([]);
    // Its Last Will reported it offline.
    expect(spied.slice(before).some((s) => s.topic === 'bramble/v1/nodes/pi-1/presence' && s.payload.toString().includes('offline'))).toBe(true);
    await n.close();
  });

  it('a node cannot publish to master → node topics, even its own', async () => {
    const n = await new FakeNode('pi-1', env.mqttUrl, tokens['pi-1']!).connect();
    const closed = new Promise<void>((r) => n.client.once('close', () => r()));
    n.client.publish('bramble/v1/nodes/pi-1/desired', encode({ v: 1, type: 'sync', revision: 99, pods: [] }), { qos: 1 });
    await closed;
    expect(spied.some((s) => s.topic === 'bramble/v1/nodes/pi-1/desired' && s.payload.toString().includes('"revision":99'))).toBe(false);
    await n.close();
  });

  it('a packet over the size limit closes the connection before it is buffered', async () => {
    const n = await new FakeNode('pi-1', env.mqttUrl, tokens['pi-1']!).connect();
    const closed = new Promise<void>((r) => n.client.once('close', () => r()));
    const before = spied.length;
    n.client.publish('bramble/v1/nodes/pi-1/status', Buffer.alloc(6 * 1024 * 1024, 0x20), { qos: 0 });
    await closed;
    await sleep(100);
    expect(spied.slice(before).filter((s) => s.topic.endsWith('/status'))).toEqual([]);
    expect(env.logs.some((l) => /packet too large/.test(l.msg))).toBe(true);
    await n.close();
  });
});

describe('broker with Debian mosquitto clients', () => {
  const base = () => ['-h', '127.0.0.1', '-p', String(env.port), '-q', '1'];

  it('mosquitto_sub without credentials, with a wrong token and with another node\'s token is refused', async () => {
    const none = await run('mosquitto_sub', [...base(), '-t', 'bramble/v1/nodes/pi-1/desired', '-C', '1', '-W', '3']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/bad user name or password/i);
    const wrong = await run('mosquitto_sub', [...base(), '-i', 'bramble-agent-pi-1', '-u', 'pi-1', '-P', 'abc.def', '-t', 'bramble/v1/nodes/pi-1/desired', '-C', '1', '-W', '3']);
    expect(wrong.stderr).toMatch(/bad user name or password/i);
    const other = await run('mosquitto_sub', [...base(), '-i', 'bramble-agent-pi-1', '-u', 'pi-1', '-P', tokens['pi-2']!, '-t', 'bramble/v1/nodes/pi-1/desired', '-C', '1', '-W', '3']);
    expect(other.stderr).toMatch(/bad user name or password/i);
  });

  it('mosquitto_sub as pi-1 gets its own desired state, not pi-2\'s', async () => {
    const sub = run('mosquitto_sub', [...base(), '-i', 'bramble-agent-pi-1', '-u', 'pi-1', '-P', tokens['pi-1']!, '-t', 'bramble/v1/nodes/pi-1/desired', '-t', 'bramble/v1/nodes/pi-2/desired', '-v', '-C', '1', '-W', '5']);
    await sleep(500);
    await spy.publishAsync('bramble/v1/nodes/pi-2/desired', encode({ v: 1, type: 'sync', revision: 7, pods: [] }), { qos: 1 });
    await spy.publishAsync('bramble/v1/nodes/pi-1/desired', encode({ v: 1, type: 'sync', revision: 8, pods: [] }), { qos: 1 });
    const r = await sub;
    expect(r.stdout.trim()).toBe('bramble/v1/nodes/pi-1/desired {"v":1,"type":"sync","revision":8,"pods":[]}');
  });

  it('mosquitto_pub as pi-1 onto pi-2\'s topic does not get through; onto its own it does', async () => {
    const before = spied.length;
    await run('mosquitto_pub', [...base(), '-i', 'bramble-agent-pi-1', '-u', 'pi-1', '-P', tokens['pi-1']!, '-t', 'bramble/v1/nodes/pi-2/hello', '-m', '{"v":1,"type":"hello","agentVersion":"evil","appliedRevision":0}']);
    await run('mosquitto_pub', [...base(), '-i', 'bramble-agent-pi-1', '-u', 'pi-1', '-P', tokens['pi-1']!, '-t', 'bramble/v1/nodes/pi-1/hello', '-m', '{"v":1,"type":"hello","agentVersion":"cli","appliedRevision":0}']);
    await until('own hello arrives', () => spied.slice(before).some((s) => s.topic === 'bramble/v1/nodes/pi-1/hello'));
    expect(spied.slice(before).some((s) => s.topic === 'bramble/v1/nodes/pi-2/hello')).toBe(false);
  });
});
