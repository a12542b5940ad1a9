// A 20-node cluster in one process: the real master (store, API, broker, node gateway,
// scheduler, controller manager) and 20 hollow agents (real Agent + real MQTT, fake containers).
// Deployments scale and roll, a DaemonSet follows labels, a lost node's pods move only after
// their toleration, and a node that returns in time keeps its pods untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceByName, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import type { HollowFleet } from '../../src/agent/hollow.js';
import type { ApiClient } from '../../src/client/client.js';
import { nodeReady, startHollowCluster, type HollowCluster } from '../helpers/hollow-cluster.js';
import { until } from '../helpers/poll.js';

const rt = (name: string): ResourceType => resourceByName(name) as ResourceType;
const pods = rt('pods');
const nodes = rt('nodes');
const deployments = rt('deployments');
const daemonsets = rt('daemonsets');

interface PodLike extends KObject {
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
}

let cluster: HollowCluster;
let fleet: HollowFleet;
let api: ApiClient;

function isReady(p: PodLike): boolean {
  return p.metadata.deletionTimestamp === undefined && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function podsOf(app: string): Promise<PodLike[]> {
  return (await api.list<PodLike>(pods, 'default', { labelSelector: `app=${app}` })).items;
}

function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'web', image: 'bramble-test/busybox:1', resources: { requests: { cpu: '100m', memory: '64Mi' } }, env: [{ name: 'V', value: '1' }] }],
          ...extra,
        },
      },
    },
  };
}

async function availableDeployment(name: string, replicas: number): Promise<void> {
  await until(`deployment ${name} at ${replicas} available`, async () => {
    const d = await api.get(deployments, 'default', name);
    const s = (d.status ?? {}) as { availableReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number };
    const ready = (await podsOf(name)).filter(isReady);
    return s.observedGeneration === d.metadata.generation && s.availableReplicas === replicas && s.updatedReplicas === replicas && s.replicas === replicas && ready.length === replicas ? true : undefined;
  }, 60_000);
}

beforeAll(async () => {
  cluster = await startHollowCluster({
    name: 'fleet', nodes: 20, prefix: 'pi-',
    // Long enough that "returns in time" is comfortably in time on a loaded CI machine.
    master: { presenceGraceMs: 5000, controllers: { podEvictionTimeoutSeconds: 60 } },
  });
  ({ fleet, api } = cluster);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('a 20-node hollow fleet', () => {
  it('scales a Deployment up and down, spreading its replicas', async () => {
    await api.create(deployments, 'default', deployment('web', 6));
    await availableDeployment('web', 6);
    const placed = (await podsOf('web')).map((p) => p.spec.nodeName);
    expect(new Set(placed).size).toBe(6);

    await api.patch(deployments, 'default', 'web', { spec: { replicas: 12 } }, 'merge');
    await availableDeployment('web', 12);
    await api.patch(deployments, 'default', 'web', { spec: { replicas: 3 } }, 'merge');
    await availableDeployment('web', 3);
    await until('surplus pods gone', async () => ((await podsOf('web')).length === 3 ? true : undefined));
  }, 120_000);

  it('rolls out a new template without dropping below replicas - maxUnavailable', async () => {
    await api.patch(deployments, 'default', 'web', { spec: { replicas: 6 } }, 'merge');
    await availableDeployment('web', 6);
    const ready = new Map<string, boolean>();
    for (const p of await podsOf('web')) ready.set(p.metadata.name as string, isReady(p));
    let minReady = Number.POSITIVE_INFINITY;
    const abort = new AbortController();
    const watching = (async () => {
      const rv = (await api.list(pods, 'default', { labelSelector: 'app=web' })).metadata.resourceVersion;
      for await (const ev of api.watch<PodLike>(pods, 'default', { labelSelector: 'app=web', resourceVersion: rv, signal: abort.signal })) {
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
        const name = ev.object.metadata.name as string;
        if (ev.type === 'DELETED') ready.delete(name); else ready.set(name, isReady(ev.object));
        minReady = Math.min(minReady, [...ready.values()].filter(Boolean).length);
      }
    })().catch((err: unknown) => { if (!abort.signal.aborted) throw err; });

    await api.patch(deployments, 'default', 'web', {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'bramble-test/busybox:1', resources: { requests: { cpu: '100m', memory: '64Mi' } }, env: [{ name: 'V', value: '2' }] }] } } },
    }, 'merge');
    await availableDeployment('web', 6);
    await until('only new pods left', async () => {
      const all = await podsOf('web');
      return all.length === 6 && all.every((p) => JSON.stringify(p).includes('"value":"2"')) ? true : undefined;
    });
    abort.abort();
    await watching;
    expect(minReady).toBeGreaterThanOrEqual(6 - 1);
  }, 120_000);

  it('runs a DaemonSet on exactly the labelled nodes', async () => {
    for (const n of ['pi-1', 'pi-2', 'pi-3']) await api.patch(nodes, undefined, n, { metadata: { labels: { camera: 'true' } } }, 'merge');
    await api.create(daemonsets, 'default', {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'cam' },
      spec: {
        selector: { matchLabels: { app: 'cam' } },
        template: { metadata: { labels: { app: 'cam' } }, spec: { nodeSelector: { camera: 'true' }, containers: [{ name: 'reader', image: 'bramble-test/busybox:1' }] } },
      },
    });
    const onNodes = async (want: string[]): Promise<void> => {
      await until(`daemonset on ${want.join(',')}`, async () => {
        const got = (await podsOf('cam')).filter(isReady).map((p) => p.spec.nodeName).sort();
        const all = await podsOf('cam');
        return all.length === want.length && JSON.stringify(got) === JSON.stringify([...want].sort()) ? true : undefined;
      }, 60_000);
    };
    await onNodes(['pi-1', 'pi-2', 'pi-3']);
    await api.patch(nodes, undefined, 'pi-4', { metadata: { labels: { camera: 'true' } } }, 'merge');
    await onNodes(['pi-1', 'pi-2', 'pi-3', 'pi-4']);
    await api.patch(nodes, undefined, 'pi-2', { metadata: { labels: { camera: null } } }, 'merge');
    await onNodes(['pi-1', 'pi-3', 'pi-4']);
  }, 120_000);

  it('keeps the pods of a node that returns before their toleration runs out', async () => {
    const before = await podsOf('web');
    const victim = before[0]?.spec.nodeName as string;
    const agent = fleet.agents.find((a) => a.nodeName === victim);
    if (!agent) throw new Error(`no agent for ${victim}`);
    await agent.stop();
    await until(`${victim} Unknown`, async () => (nodeReady(await api.get(nodes, undefined, victim)) === 'Unknown' ? true : undefined), 15_000);
    await until(`${victim} tainted unreachable`, async () => {
      const n = await api.get(nodes, undefined, victim);
      const taints = ((n.spec as { taints?: { key: string }[] } | undefined)?.taints) ?? [];
      return taints.some((t) => t.key === 'node.kubernetes.io/unreachable') ? true : undefined;
    }, 15_000);
    await agent.start();
    await until(`${victim} Ready again`, async () => (nodeReady(await api.get(nodes, undefined, victim)) === 'True' ? true : undefined), 15_000);
    const after = await podsOf('web');
    expect(after.map((p) => `${p.metadata.uid}@${p.spec.nodeName}`).sort()).toEqual(before.map((p) => `${p.metadata.uid}@${p.spec.nodeName}`).sort());
    const restarts = after.filter((p) => p.spec.nodeName === victim).flatMap((p) => p.status?.containerStatuses ?? []).reduce((s, c) => s + c.restartCount, 0);
    expect(restarts).toBe(0);
  }, 120_000);

  it('replaces the pods of a lost node after their toleration', async () => {
    await api.create(deployments, 'default', deployment('mover', 2, {
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
    }));
    await availableDeployment('mover', 2);
    const lost = (await podsOf('mover'))[0]?.spec.nodeName as string;
    const agent = fleet.agents.find((a) => a.nodeName === lost);
    if (!agent) throw new Error(`no agent for ${lost}`);
    await agent.stop();
    await until(`${lost} Unknown`, async () => (nodeReady(await api.get(nodes, undefined, lost)) === 'Unknown' ? true : undefined), 15_000);
    await until('mover pods replaced away from the lost node', async () => {
      const all = await podsOf('mover');
      const ready = all.filter(isReady);
      return all.every((p) => p.spec.nodeName !== lost) && ready.length === 2 ? true : undefined;
    }, 60_000);
    await agent.start();
  }, 120_000);
});
