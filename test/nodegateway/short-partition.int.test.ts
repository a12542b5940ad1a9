// A link cut longer than the presence grace but shorter than the broker's keepalive drop: the
// MQTT connection survives, so the agent never reconnects, never says hello and would never
// re-send its pod statuses by itself. The real master (API, broker, node gateway, controllers)
// and a real Agent (fake containers) talk through a TCP relay that can freeze: bytes are held,
// not lost, as by a link whose carrier is gone and comes back.
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { SyntheticStatusSource, syntheticFacts } from '../../src/agent/status/source.js';
import { resourceByName, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { createLogger } from '../../src/log/logger.js';
import { startMaster, type RunningMaster } from '../../src/master/master.js';
import { until } from '../helpers/poll.js';
import { nodeReady } from '../helpers/hollow-cluster.js';

const pods = resourceByName('pods') as ResourceType;
const nodes = resourceByName('nodes') as ResourceType;
const node = 'cut-0';

/** A TCP relay to `target` that can hold every byte, both ways, until released. */
class FreezableRelay {
  readonly server: net.Server;
  connections = 0;
  private frozen = false;
  private readonly pipes: { from: net.Socket; to: net.Socket; held: Buffer[] }[] = [];

  constructor(target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      this.connections++;
      const upstream = net.createConnection(target);
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        const pipe = { from, to, held: [] as Buffer[] };
        this.pipes.push(pipe);
        from.on('data', (b: Buffer) => { if (this.frozen) pipe.held.push(b); else to.write(b); });
        from.on('close', () => to.destroy());
        from.on('error', () => undefined);
      }
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const p of this.pipes) for (const b of p.held.splice(0)) if (!p.to.destroyed) p.to.write(b);
  }

  async close(): Promise<void> {
    for (const p of this.pipes) p.from.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

type PodLike = KObject & { status?: { conditions?: { type: string; status: string; reason?: string }[] } };

let dir: string;
let master: RunningMaster;
let api: ApiClient;
let relay: FreezableRelay;
let agent: Agent;

const podReady = async (name: string): Promise<string | undefined> =>
  (await api.get<PodLike>(pods, 'default', name)).status?.conditions?.find((c) => c.type === 'Ready')?.status;
const ready = async (): Promise<string | undefined> => nodeReady(await api.get(nodes, undefined, node));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-short-partition-'));
  const logger = createLogger({ name: 'short-partition', level: 'warn' });
  master = await startMaster({ apiPort: 0, mqttPort: 0, logger, presenceGraceMs: 1500, dataDir: path.join(dir, 'master') });
  api = new ApiClient({ server: master.apiUrl, token: loadKubeconfig(master.kubeconfigPath).token });
  const u = new URL(master.mqttUrl);
  relay = new FreezableRelay({ host: u.hostname, port: Number(u.port) });
  const port = await relay.listen();
  const token = await master.tokens.create({ user: `system:node:${node}`, roles: ['node'], node });
  agent = new Agent({
    nodeName: node, mqtt: { url: `mqtt://127.0.0.1:${port}`, username: node, password: token }, runtime: new FakeRuntime(),
    status: new SyntheticStatusSource(syntheticFacts(node), { cpuPercent: 10, memoryUsedBytes: 2 ** 30, memoryAvailableBytes: 3 * 2 ** 30 }),
    stateDir: path.join(dir, 'agent'), logger, nodeIP: '127.0.0.1',
    options: { heartbeatMs: 300, syncPeriodMs: 100, prober: async () => ({ ok: true }) },
  });
  await agent.start();
  await until(`${node} Ready`, async () => ((await ready().catch(() => undefined)) === 'True' ? true : undefined), 30_000);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await relay?.close();
  await master?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a partition healed before the broker drops the connection', () => {
  it('the node comes back Ready, and so do its pods (the gateway asks for their statuses once the node is written Ready)', async () => {
    await api.create(pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
      spec: { nodeName: node, containers: [{ name: 'c', image: 'bramble-test/busybox:1' }], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] },
    });
    await until('web Ready', async () => ((await podReady('web')) === 'True' ? true : undefined), 30_000);

    relay.freeze();
    await until(`${node} Unknown`, async () => ((await ready()) === 'Unknown' ? true : undefined), 15_000);
    await until('web marked not ready', async () => ((await podReady('web')) === 'False' ? true : undefined), 15_000);
    relay.thaw();

    await until(`${node} Ready again`, async () => ((await ready()) === 'True' ? true : undefined), 15_000);
    await until('web Ready again', async () => ((await podReady('web')) === 'True' ? true : undefined), 15_000);
    // Not undone afterwards (the node lifecycle controller confirms the node is Unknown live).
    await new Promise((r) => setTimeout(r, 1500));
    expect(await podReady('web')).toBe('True');
    // All on the one connection: the agent did not notice the outage.
    expect(relay.connections).toBe(1);
    expect(agent.connected).toBe(true);
  }, 60_000);
});
