// The node lifecycle controller end to end in one process: the real master (store, API, broker,
// node gateway, controllers) with short configured timeouts, and hollow agents (real Agent and
// MQTT, fake containers). Stopping an agent is the device going away (it leaves the same
// retained `offline` presence its Last Will would). Pods are bound by name, so only the node
// lifecycle controller decides where they live. Pass/fail never depends on wall-clock bounds:
// waits are generous, and "nothing moved" is checked by uid after the node is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceByName, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import type { Agent } from '../../src/agent/agent.js';
import type { ApiClient } from '../../src/client/client.js';
import type { RunningMaster } from '../../src/master/master.js';
import { startHollowCluster, type HollowCluster } from '../helpers/hollow-cluster.js';
import { until } from '../helpers/poll.js';
import { FakeNode, statusReport } from '../nodegateway/env.js';

const rt = (name: string): ResourceType => resourceByName(name) as ResourceType;
const pods = rt('pods');
const nodes = rt('nodes');
const events = rt('events');
const unreachable = 'node.kubernetes.io/unreachable';

let cluster: HollowCluster;
let master: RunningMaster;
let api: ApiClient;
let tokens: Map<string, string>;

interface PodLike extends KObject {
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string }[] };
}

function agent(name: string): Agent {
  return cluster.agent(name);
}

async function ready(node: string): Promise<string | undefined> {
  const n = await api.get(nodes, undefined, node);
  return ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
}

async function taintKeys(node: string): Promise<string[]> {
  const n = await api.get(nodes, undefined, node);
  return (((n.spec as { taints?: { key: string; effect: string }[] } | undefined)?.taints) ?? []).map((t) => `${t.key}:${t.effect}`);
}

async function getPod(name: string): Promise<PodLike | undefined> {
  try {
    return await api.get<PodLike>(pods, 'default', name);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function podReady(p: PodLike | undefined): string | undefined {
  return p?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

async function createPod(name: string, node: string, tolerationSeconds?: number | 'forever'): Promise<PodLike> {
  const tolerations = tolerationSeconds === undefined ? undefined
    : [{ key: unreachable, operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds === 'forever' ? {} : { tolerationSeconds }) }];
  const pod = await api.create<PodLike>(pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'bramble-test/busybox:1' }], ...(tolerations ? { tolerations } : {}) },
  });
  await until(`${name} Ready`, async () => (podReady(await getPod(name)) === 'True' ? true : undefined), 30_000);
  return pod;
}

async function lose(node: string): Promise<void> {
  await agent(node).stop();
  await until(`${node} Unknown`, async () => ((await ready(node)) === 'Unknown' ? true : undefined), 15_000);
}

beforeAll(async () => {
  cluster = await startHollowCluster({
    name: 'node-lifecycle-test', nodes: 3, prefix: 'pi-',
    master: {
      presenceGraceMs: 5000,
      // A short cluster default, so a pod without tolerations goes quickly; pods that must stay
      // carry long tolerations of their own.
      controllers: { podEvictionTimeoutSeconds: 2, cloudNodeGraceSeconds: 1 },
    },
  });
  ({ master, api, tokens } = cluster);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('node lifecycle with hollow agents', () => {
  it('a lost node is tainted unreachable, its pods marked not ready, and evicted only after their toleration', async () => {
    const short = await createPod('short', 'pi-0');
    const forever = await createPod('forever', 'pi-0', 'forever');
    const long = await createPod('long', 'pi-0', 3600);
    await lose('pi-0');
    await until('unreachable taints', async () => {
      const t = await taintKeys('pi-0');
      return t.includes(`${unreachable}:NoSchedule`) && t.includes(`${unreachable}:NoExecute`) ? true : undefined;
    }, 15_000);
    await until('pods marked Ready=False', async () => (podReady(await getPod('long')) === 'False' && podReady(await getPod('forever')) === 'False' ? true : undefined), 15_000);
    // The cluster default (2 s) runs out for the pod without a toleration.
    await until('short evicted', async () => ((await getPod('short')) === undefined ? true : undefined), 30_000);
    const evs = (await api.list(events, 'default', { fieldSelector: `involvedObject.uid=${short.metadata.uid ?? ''}` })).items;
    expect(evs.map((e) => e.reason)).toContain('TaintManagerEviction');
    expect((await getPod('forever'))?.metadata.uid).toBe(forever.metadata.uid);
    expect((await getPod('long'))?.metadata.uid).toBe(long.metadata.uid);
    await agent('pi-0').start();
    await until('pi-0 Ready, taints gone', async () => ((await ready('pi-0')) === 'True' && (await taintKeys('pi-0')).length === 0 ? true : undefined), 30_000);
    await until('pods Ready again (the agent reports them on reconnect)', async () => (podReady(await getPod('long')) === 'True' ? true : undefined), 30_000);
    expect((await getPod('forever'))?.metadata.deletionTimestamp).toBeUndefined();
  }, 120_000);

  it('a node that returns before the toleration runs out keeps its pods untouched', async () => {
    const kept = await createPod('kept', 'pi-1', 60);
    await lose('pi-1');
    await until('unreachable taint', async () => ((await taintKeys('pi-1')).includes(`${unreachable}:NoExecute`) ? true : undefined), 15_000);
    await agent('pi-1').start();
    await until('pi-1 Ready, taints gone', async () => ((await ready('pi-1')) === 'True' && (await taintKeys('pi-1')).length === 0 ? true : undefined), 30_000);
    const after = await getPod('kept');
    expect(after?.metadata.uid).toBe(kept.metadata.uid);
    expect(after?.metadata.deletionTimestamp).toBeUndefined();
    expect(after?.spec).toEqual(kept.spec);
  }, 120_000);

  it('a killed device (its connection drops, the broker sends its Last Will) is tainted and its pods evicted after their toleration', async () => {
    const token = await master.tokens.create({ user: 'system:node:pi-killed', roles: ['node'], node: 'pi-killed' });
    const device = await new FakeNode('pi-killed', master.mqttUrl, token).connect();
    await device.hello();
    await device.send('status', statusReport({ 'kubernetes.io/arch': 'arm64' }));
    await until('pi-killed Ready', async () => ((await ready('pi-killed').catch(() => undefined)) === 'True' ? true : undefined), 15_000);
    const p = await api.create<PodLike>(pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-killed' },
      spec: { nodeName: 'pi-killed', containers: [{ name: 'c', image: 'bramble-test/busybox:1' }], tolerations: [{ key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }] },
    });
    // No goodbye: the socket just dies, as when a Pi loses power.
    device.client.stream.destroy();
    await until('pi-killed Unknown', async () => ((await ready('pi-killed')) === 'Unknown' ? true : undefined), 15_000);
    await until('evicted', async () => ((await getPod('on-killed'))?.metadata.uid !== p.metadata.uid ? true : undefined), 15_000);
    expect(await taintKeys('pi-killed')).toEqual([`${unreachable}:NoSchedule`, `${unreachable}:NoExecute`]);
    await device.close();
  }, 60_000);

  it('cordon taints a node unschedulable; uncordon removes it', async () => {
    await api.patch(nodes, undefined, 'pi-1', { spec: { unschedulable: true } }, 'merge');
    await until('unschedulable taint', async () => ((await taintKeys('pi-1')).includes('node.kubernetes.io/unschedulable:NoSchedule') ? true : undefined), 15_000);
    await api.patch(nodes, undefined, 'pi-1', { spec: { unschedulable: null } }, 'merge');
    await until('taint removed', async () => ((await taintKeys('pi-1')).length === 0 ? true : undefined), 15_000);
  }, 60_000);

  it('lan provider: a device whose token is revoked, once gone, has its Node deleted with its pods', async () => {
    await createPod('stays-forever', 'pi-2', 'forever');
    const id = (tokens.get('pi-2') as string).split('.')[0] as string;
    await master.tokens.revoke(id);
    // Still connected and Ready: a device that reports is plainly there, so nothing happens yet.
    expect(await ready('pi-2')).toBe('True');
    await lose('pi-2');
    await until('node pi-2 deleted', async () => (await api.get(nodes, undefined, 'pi-2').then(() => undefined, (e: { code?: number }) => (e.code === 404 ? true : undefined))), 30_000);
    expect(await getPod('stays-forever')).toBeUndefined();
    const evs = (await api.list(events, 'default', { fieldSelector: 'involvedObject.name=pi-2,reason=DeletingNode' })).items;
    expect(evs).toHaveLength(1);
  }, 60_000);
});
