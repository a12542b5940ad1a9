// The agent against a plain embedded aedes broker and a scripted fake master (an mqtt.js client).
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { SyntheticStatusSource, syntheticFacts } from '../../src/agent/status/source.js';
import { silentLogger } from '../../src/log/logger.js';
import type { LogsData, NodeStatusReport, PodBundle, PodStatusReport } from '../../src/protocol/messages.js';
import { bundle, container, nodeName, pod, startBroker, tempDir, waitFor } from './helpers.js';

/** A scripted master: answers hello with a sync of `pods`, records what the node sends. */
class FakeMaster {
  readonly hellos: { appliedRevision: number }[] = [];
  readonly podStatus: PodStatusReport[] = [];
  readonly nodeStatus: NodeStatusReport[] = [];
  readonly presence: string[] = [];
  readonly logs: LogsData[] = [];
  private client!: MqttClient;

  constructor(public pods: PodBundle[], public revision = 5) {}

  async connect(port: number): Promise<void> {
    this.client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `master-${Math.random()}`, reconnectPeriod: 0 });
    this.client.on('message', (topic, payload) => {
      const leaf = topic.split('/').slice(4).join('/');
      const m = JSON.parse(payload.toString()) as { type: string };
      if (leaf === 'hello') {
        this.hellos.push(m as unknown as { appliedRevision: number });
        this.send({ v: 1, type: 'sync', revision: this.revision, pods: this.pods });
      } else if (leaf === 'podstatus') this.podStatus.push(m as PodStatusReport);
      else if (leaf === 'status') this.nodeStatus.push(m as NodeStatusReport);
      else if (leaf === 'presence') this.presence.push((m as unknown as { state: string }).state);
      else if (leaf === 'logs/data') this.logs.push(m as LogsData);
    });
    await this.client.subscribeAsync('bramble/v1/nodes/+/#', { qos: 1 });
  }

  send(m: object, leaf = 'desired'): void {
    this.client.publish(`bramble/v1/nodes/${nodeName}/${leaf}`, JSON.stringify(m), { qos: 1 });
  }

  lastPod(uid: string): PodStatusReport | undefined {
    return this.podStatus.filter((p) => p.uid === uid).at(-1);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

const fast = {
  heartbeatMs: 300, syncPeriodMs: 50, reconnectBaseMs: 50, reconnectMaxMs: 200,
  backoff: { baseMs: 100, maxMs: 400, resetAfterMs: 60_000 }, prober: async () => ({ ok: true }),
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function makeAgent(port: number, runtime: FakeRuntime, stateDir: string): Agent {
  const agent = new Agent({
    nodeName, mqtt: { url: `mqtt://127.0.0.1:${port}`, username: nodeName, password: 'secret-token' }, runtime,
    status: new SyntheticStatusSource(syntheticFacts(nodeName), { cpuPercent: 20, memoryUsedBytes: 2 ** 30, memoryAvailableBytes: 3 * 2 ** 30 }),
    stateDir, logger: silentLogger(), options: fast,
  });
  cleanups.push(() => agent.stop());
  return agent;
}

/** A state dir, a broker and a scripted master with `pods` connected to it, all cleaned up after the test. */
async function withMaster(pods: PodBundle[]): Promise<{ dir: string; port: number; master: FakeMaster }> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const broker = await startBroker();
  cleanups.push(() => broker.close());
  const master = new FakeMaster(pods);
  await master.connect(broker.port);
  cleanups.push(() => master.close());
  return { dir, port: broker.port, master };
}

async function running(runtime: FakeRuntime, uid: string): Promise<string[]> {
  return (await runtime.listContainers(nodeName)).filter((c) => c.pod.uid === uid && !c.isSandbox && c.state === 'running').map((c) => c.id);
}

describe('agent over MQTT', () => {
  it('hello → sync → pods run → status; the master goes away, pods keep restarting; a restarted agent brings them back; the master returns with zero restarts', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    let broker = await startBroker();
    const port = broker.port;
    const p = pod('web', { containers: [container('app', { ports: [{ containerPort: 80 }] })] });
    const uid = p.metadata.uid!;
    let master = new FakeMaster([bundle(p)]);
    await master.connect(port);
    const runtime = new FakeRuntime();
    let agent = makeAgent(port, runtime, dir);
    await agent.start();

    await waitFor('hello', () => master.hellos.length === 1);
    expect(master.hellos[0]!.appliedRevision).toBe(0);
    await waitFor('the pod runs', async () => (await running(runtime, uid)).length === 1);
    await waitFor('Running reported', () => master.lastPod(uid)?.status.phase === 'Running');
    await waitFor('node status', () => master.nodeStatus.length > 0);
    const ns = master.nodeStatus.at(-1)!;
    expect(ns.labels).toMatchObject({ 'kubernetes.io/arch': 'arm64', 'kubernetes.io/hostname': nodeName, 'bramble.dev/model': 'raspberry-pi-4b', 'bramble.dev/capability.gpio': 'true' });
    expect(ns.status.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe('127.0.0.1');
    expect(ns.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(master.presence).toContain('online');
    expect(master.lastPod(uid)!.status.portMappings?.[0]).toMatchObject({ hostIP: '127.0.0.1', containerPort: 80 });
    await waitFor('revision applied', () => agent.appliedRevision === 5);

    // The master goes away: the pod keeps running, and restarting.
    await master.close();
    await broker.close();
    await waitFor('link down', () => !agent.connected);
    const first = (await running(runtime, uid))[0]!;
    runtime.crash(first, 1);
    await waitFor('restarted without the master', async () => {
      const r = await running(runtime, uid);
      return r.length === 1 && r[0] !== first;
    });

    // The agent process restarts (master still down); the node rebooted: every container stopped.
    await agent.stop();
    for (const c of await runtime.listContainers(nodeName)) if (c.state === 'running') runtime.crash(c.id, 137);
    agent = makeAgent(port, runtime, dir);
    await agent.start();
    await waitFor('the pod comes back from local state', async () => (await running(runtime, uid)).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    const before = (await runtime.listContainers(nodeName)).filter((c) => c.state === 'running').map((c) => c.id).sort();

    // The master returns and syncs the same desired state: nothing restarts.
    broker = await startBroker(port);
    cleanups.push(() => broker.close());
    master = new FakeMaster([bundle(JSON.parse(JSON.stringify(p)) as typeof p)]);
    await master.connect(port);
    cleanups.push(() => master.close());
    await waitFor('hello again', () => master.hellos.length === 1, 15_000);
    expect(master.hellos[0]!.appliedRevision).toBe(5);
    await waitFor('pod status resent', () => master.lastPod(uid)?.status.phase === 'Running');
    await new Promise((r) => setTimeout(r, 500));
    const after = (await runtime.listContainers(nodeName)).filter((c) => c.state === 'running').map((c) => c.id).sort();
    expect(after).toEqual(before);
  });

  it('upsert with deletionTimestamp → terminated report; delete removes; logs stream in chunks', async () => {
    const a = pod('a'), b = pod('b');
    const { dir, port, master } = await withMaster([bundle(a), bundle(b)]);
    const runtime = new FakeRuntime();
    const agent = makeAgent(port, runtime, dir);
    await agent.start();
    await waitFor('both run', async () => (await running(runtime, a.metadata.uid!)).length === 1 && (await running(runtime, b.metadata.uid!)).length === 1);

    // Logs: 100 KiB of output comes back in ≤ 64 KiB (base64) chunks, in order, then end.
    const big = 'x'.repeat(100 * 1024);
    runtime.writeLog((await running(runtime, a.metadata.uid!))[0]!, big);
    master.send({ v: 1, type: 'logs.start', id: 's1', namespace: 'default', pod: 'a', uid: a.metadata.uid, container: 'app', follow: false }, 'logs/request');
    await waitFor('log end', () => master.logs.some((m) => m.id === 's1' && m.end));
    const chunks = master.logs.filter((m) => m.id === 's1');
    expect(chunks.map((m) => m.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.every((m) => (m.data ?? '').length <= 64 * 1024)).toBe(true);
    expect(Buffer.concat(chunks.map((m) => Buffer.from(m.data ?? '', 'base64'))).toString()).toBe(big);
    master.send({ v: 1, type: 'logs.start', id: 's2', namespace: 'default', pod: 'a', uid: a.metadata.uid, container: 'nope', follow: false }, 'logs/request');
    await waitFor('log error', () => master.logs.some((m) => m.id === 's2' && m.error !== undefined && m.end === true));

    const deleting = { ...a, metadata: { ...a.metadata, resourceVersion: '3', deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 1 } };
    master.send({ v: 1, type: 'upsert', revision: 6, bundle: bundle(deleting) });
    await waitFor('terminated reported', () => master.lastPod(a.metadata.uid!)?.terminated === true);
    expect((await runtime.listContainers(nodeName)).filter((c) => c.pod.uid === a.metadata.uid)).toHaveLength(0);
    master.send({ v: 1, type: 'delete', revision: 7, namespace: 'default', name: 'b', uid: b.metadata.uid });
    await waitFor('b removed', async () => (await runtime.listContainers(nodeName)).filter((c) => c.pod.uid === b.metadata.uid).length === 0);
    await waitFor('revision 7', () => agent.appliedRevision === 7);
  });

  it('registers with Ready=False when the runtime is unreachable, and Ready=True once it is back', async () => {
    const { dir, port, master } = await withMaster([]);
    const runtime = new FakeRuntime();
    runtime.setAvailable(false);
    const agent = makeAgent(port, runtime, dir);
    await agent.start();
    const ready = (): { status?: string; message?: string } | undefined => master.nodeStatus.at(-1)?.status.conditions?.find((c) => c.type === 'Ready');
    await waitFor('Ready=False', () => ready()?.status === 'False');
    expect(ready()?.message).toContain('fake runtime is unavailable');
    expect(ready()?.message).toContain('setAvailable(true)');
    runtime.setAvailable(true);
    await waitFor('Ready=True', () => ready()?.status === 'True');
  });

  it('a node that learns its address reports it in its very first status', async () => {
    const { dir, port, master } = await withMaster([]);
    const agent = makeAgent(port, new FakeRuntime(), dir); // no nodeIP: learned from the connection
    await agent.start();
    await waitFor('node status', () => master.nodeStatus.length > 0);
    expect(master.nodeStatus[0]!.status.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe('127.0.0.1');
  });

  it('re-sends every pod status, unchanged ones too, when the master asks (resend)', async () => {
    const a = pod('a'), b = pod('b');
    const { dir, port, master } = await withMaster([bundle(a), bundle(b)]);
    const agent = makeAgent(port, new FakeRuntime(), dir);
    await agent.start();
    await waitFor('both Running', () => master.lastPod(a.metadata.uid!)?.status.phase === 'Running' && master.lastPod(b.metadata.uid!)?.status.phase === 'Running');
    await new Promise((r) => setTimeout(r, 300)); // settled: nothing left to report
    const before = master.podStatus.length;
    master.send({ v: 1, type: 'resend' });
    await waitFor('both re-sent', () => new Set(master.podStatus.slice(before).map((p) => p.uid)).size === 2);
    expect(master.podStatus.slice(before).map((p) => p.status.phase)).toEqual(['Running', 'Running']);
    expect(agent.appliedRevision).toBe(5); // desired state untouched
  });
});
