// A real master in this process (store, API, broker, node gateway, scheduler, controllers) with
// hollow agents (real Agent over real MQTT, fake containers), for tests of the control plane.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resourceByName, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import type { Agent } from '../../src/agent/agent.js';
import { startHollowAgents, type HollowFleet } from '../../src/agent/hollow.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { createLogger } from '../../src/log/logger.js';
import { startMaster, type MasterOptions, type RunningMaster } from '../../src/master/master.js';
import { until } from './poll.js';

export interface HollowCluster {
  dir: string;
  master: RunningMaster;
  fleet: HollowFleet;
  api: ApiClient;
  /** Node name → its node token. */
  tokens: Map<string, string>;
  agent(name: string): Agent;
  stop(): Promise<void>;
}

export interface HollowClusterOptions {
  /** Names the temp dir and the logger. */
  name: string;
  nodes: number;
  /** Node names are `${prefix}${i}`. */
  prefix: string;
  master?: Omit<MasterOptions, 'dataDir'>;
}

const nodesType = resourceByName('nodes') as ResourceType;

export function nodeReady(n: KObject): string | undefined {
  const conds = ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions) ?? [];
  return conds.find((c) => c.type === 'Ready')?.status;
}

/** Starts the master and the agents, and waits until every node is Ready. */
export async function startHollowCluster(o: HollowClusterOptions): Promise<HollowCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bramble-${o.name}-`));
  const logger = createLogger({ name: o.name, level: 'warn' });
  const master = await startMaster({ apiPort: 0, mqttPort: 0, logger, ...o.master, dataDir: path.join(dir, 'master') });
  const api = new ApiClient({ server: master.apiUrl, token: loadKubeconfig(master.kubeconfigPath).token });
  const tokens = new Map<string, string>();
  for (let i = 0; i < o.nodes; i++) {
    const n = `${o.prefix}${i}`;
    tokens.set(n, await master.tokens.create({ user: `system:node:${n}`, roles: ['node'], node: n }));
  }
  const fleet = await startHollowAgents({
    masterUrl: master.mqttUrl, count: o.nodes, prefix: o.prefix, token: (n) => tokens.get(n) as string,
    dataDir: path.join(dir, 'agents'), logger, options: { heartbeatMs: 1000 },
  });
  await until(`${o.nodes} nodes Ready`, async () => {
    const ready = (await api.list(nodesType, undefined)).items.filter((n) => nodeReady(n) === 'True');
    return ready.length === o.nodes ? true : undefined;
  }, 60_000);
  return {
    dir, master, fleet, api, tokens,
    agent: (name) => {
      const a = fleet.agents.find((x) => x.nodeName === name);
      if (!a) throw new Error(`no agent ${name}`);
      return a;
    },
    stop: async () => {
      await fleet.stop();
      await master.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
