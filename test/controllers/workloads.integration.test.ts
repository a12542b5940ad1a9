// The real ControllerManager (replicaset, deployment, daemonset) against an in-process API server.
// The test plays scheduler and kubelet: it binds pods, marks them Running and Ready through the
// status subresource (a little later, so rollouts take several steps), and finishes graceful deletions.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { resourceByKind } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { Informer } from '../../src/client/informer.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { daemonSetsType, deploymentsType, nodesType, podsType, replicaSetsType } from '../../src/controllers/owners.js';
import { targetNode } from '../../src/controllers/daemonset-pods.js';
import { asPod } from '../../src/controllers/pods.js';
import { silentLogger } from '../../src/log/logger.js';
import { startHarness, type Harness } from '../apiserver/harness.js';
import { until } from '../helpers/poll.js';

let h: Harness;
let api: LocalApiClient;
let manager: ControllerManager;
let kubelet: Informer;
const nodeNames = ['pi-1', 'pi-2', 'pi-3'];
let next = 0;
/** Called with every pod state the kubelet sees (one write at a time). */
let observe: (pods: KObject[]) => void = () => undefined;

/** The shared poll (test/helpers/poll.ts), every 50 ms for up to 20 s, over sync or async checks. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, async () => fn(), 20_000, 50);

const swallow = (p: Promise<unknown>): void => { p.catch(() => undefined); };

/** The test's scheduler and kubelet in one: bind, start (Ready 30 ms later), finish deletions. */
function onPod(type: string, obj: KObject): void {
  if (type === 'DELETED') return;
  const pod = asPod(obj);
  const ns = obj.metadata.namespace ?? 'default';
  const name = obj.metadata.name ?? '';
  if (obj.metadata.deletionTimestamp) { swallow(api.delete(podsType, ns, name, { gracePeriodSeconds: 0 })); return; }
  if (!pod.spec.nodeName) { swallow(api.bind(ns, name, targetNode(pod) ?? nodeNames[next++ % nodeNames.length]!)); return; }
  if (pod.status?.phase === 'Pending' || pod.status?.phase === undefined) {
    setTimeout(() => {
      const at = new Date().toISOString();
      swallow(api.patch(podsType, ns, name, { status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }],
        containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, image: c.image ?? '', state: { running: { startedAt: at } } })),
      } }, 'merge', 'status'));
    }, 30);
  }
}

beforeAll(async () => {
  h = await startHarness();
  api = new LocalApiClient(h.server.resources, h.store);
  for (const n of nodeNames) await api.create(nodesType, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
  kubelet = new Informer(api, podsType, (type, obj) => { onPod(type, obj); observe(kubelet.list()); }, silentLogger());
  kubelet.start();
  manager = new ControllerManager({ api, logger: silentLogger(), only: ['replicaset', 'deployment', 'daemonset'] });
  await manager.start();
});

afterAll(async () => {
  await manager?.stop();
  await kubelet?.stop();
  await h?.stop();
});

afterEach(() => { observe = () => undefined; });

const livePods = (label: string): KObject[] => kubelet.list().filter((p) => p.metadata.labels?.app === label && !p.metadata.deletionTimestamp);
const readyPods = (pods: KObject[], label: string): number =>
  pods.filter((p) => p.metadata.labels?.app === label && !p.metadata.deletionTimestamp && asPod(p).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

function deploymentManifest(name: string, replicas: number, image: string, strategy?: object): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      ...(strategy ? { strategy } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}

async function rolledOut(name: string, replicas: number): Promise<KObject> {
  return waitFor(`${name} at ${replicas} available`, async () => {
    const d = await api.get(deploymentsType, 'default', name);
    const s = d.status as { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number } | undefined;
    const done = s?.observedGeneration === d.metadata.generation && s?.replicas === replicas && s?.updatedReplicas === replicas && s?.availableReplicas === replicas;
    return done && livePods(name).length === replicas ? d : undefined;
  });
}

describe('workload controllers against an API server', () => {
  it('a Deployment scales up and down', async () => {
    await api.create(deploymentsType, 'default', deploymentManifest('scaler', 2, 'busybox:1.36'));
    await rolledOut('scaler', 2);
    await api.patch(deploymentsType, 'default', 'scaler', { spec: { replicas: 5 } });
    await rolledOut('scaler', 5);
    await api.patch(deploymentsType, 'default', 'scaler', { spec: { replicas: 1 } });
    const d = await rolledOut('scaler', 1);
    const conditions = (d.status as { conditions: { type: string; status: string }[] }).conditions;
    expect(conditions.find((c) => c.type === 'Available')?.status).toBe('True');
    const pods = livePods('scaler');
    expect(pods[0]?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', controller: true, blockOwnerDeletion: true });
  });

  it('a rolling update completes and never drops below replicas - maxUnavailable available pods', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    await api.create(deploymentsType, 'default', deploymentManifest('roller', 4, 'busybox:1.36', strategy));
    await rolledOut('roller', 4);
    let minReady = Infinity;
    let maxPods = 0;
    observe = (pods) => {
      minReady = Math.min(minReady, readyPods(pods, 'roller'));
      maxPods = Math.max(maxPods, pods.filter((p) => p.metadata.labels?.app === 'roller' && !p.metadata.deletionTimestamp).length);
    };
    await api.patch(deploymentsType, 'default', 'roller', { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } } });
    const d = await rolledOut('roller', 4);
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxPods).toBeLessThanOrEqual(5);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(livePods('roller').every((p) => asPod(p).spec.containers[0]?.image === 'busybox:1.37')).toBe(true);
  });

  it('a DaemonSet follows node labels and rolls a new template node by node', async () => {
    const ds: KObject = {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'camera' },
      spec: {
        selector: { matchLabels: { app: 'camera' } },
        template: { metadata: { labels: { app: 'camera' } }, spec: { nodeSelector: { camera: 'true' }, containers: [{ name: 'reader', image: 'sensor:1' }] } },
      },
    };
    const label = (node: string, value: string | null) => api.patch(nodesType, undefined, node, { metadata: { labels: { camera: value } } });
    await label('pi-1', 'true');
    await label('pi-2', 'true');
    await api.create(daemonSetsType, 'default', ds);
    const onNodes = () => livePods('camera').map((p) => asPod(p).spec.nodeName ?? targetNode(asPod(p))).sort();
    await waitFor('pods on pi-1 and pi-2', () => (JSON.stringify(onNodes()) === '["pi-1","pi-2"]' ? true : undefined));
    await label('pi-2', null);
    await label('pi-3', 'true');
    await waitFor('pods on pi-1 and pi-3', () => (JSON.stringify(onNodes()) === '["pi-1","pi-3"]' ? true : undefined));
    const status = await waitFor('daemonset status', async () => {
      const s = (await api.get(daemonSetsType, 'default', 'camera')).status as Record<string, number> | undefined;
      return s?.numberAvailable === 2 ? s : undefined;
    });
    expect(status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberMisscheduled: 0 });

    // A new template rolls node by node (maxUnavailable 1 by default).
    let minReady = Infinity;
    observe = (pods) => { minReady = Math.min(minReady, readyPods(pods, 'camera')); };
    await api.patch(daemonSetsType, 'default', 'camera', { spec: { template: { spec: { containers: [{ name: 'reader', image: 'sensor:2' }] } } } });
    await waitFor('every camera pod on sensor:2', async () => {
      const s = (await api.get(daemonSetsType, 'default', 'camera')).status as Record<string, number> | undefined;
      const images = livePods('camera').map((p) => asPod(p).spec.containers[0]?.image);
      return s?.updatedNumberScheduled === 2 && s.numberAvailable === 2 && images.length === 2 && images.every((i) => i === 'sensor:2') ? true : undefined;
    });
    expect(minReady).toBeGreaterThanOrEqual(1);
  });

  it('a ReplicaSet replaces a failed pod, releases a relabelled one, and records Events', async () => {
    await api.create(replicaSetsType, 'default', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
    });
    const running = () => livePods('solo').filter((p) => asPod(p).status?.phase === 'Running');
    await waitFor('two running pods', () => (running().length === 2 ? true : undefined));
    const [victim, relabelled] = running();
    await api.patch(podsType, 'default', victim!.metadata.name!, { status: { phase: 'Failed' } }, 'merge', 'status');
    await waitFor('a replacement for the failed pod', () => (running().length === 2 && !running().some((p) => p.metadata.name === victim!.metadata.name) ? true : undefined));
    await api.patch(podsType, 'default', relabelled!.metadata.name!, { metadata: { labels: { app: 'debug' } } });
    const released = await waitFor('the relabelled pod released', async () => {
      const p = await api.get(podsType, 'default', relabelled!.metadata.name!);
      return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
    });
    expect(released.metadata.labels).toEqual({ app: 'debug' });
    await waitFor('two running pods again', () => (running().length === 2 && !running().some((p) => p.metadata.name === relabelled!.metadata.name) ? true : undefined));
    const rs = await waitFor('status', async () => {
      const o = await api.get(replicaSetsType, 'default', 'solo');
      const s = o.status as { replicas?: number; readyReplicas?: number; availableReplicas?: number; fullyLabeledReplicas?: number } | undefined;
      return s?.readyReplicas === 2 && s.availableReplicas === 2 ? s : undefined;
    });
    expect(rs).toMatchObject({ replicas: 2, fullyLabeledReplicas: 2 });
    const events = await waitFor('events', async () => {
      const list = await api.list(resourceByKind('v1', 'Event')!, 'default', { fieldSelector: 'involvedObject.name=solo' });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(events.map((e) => e.reason)).toContain('SuccessfulCreate');
  });
});
