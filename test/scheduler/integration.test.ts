// The scheduler in a real master (store, API, broker, node gateway, controllers, scheduler) with
// three hollow agents (real Agent over real MQTT, fake containers): pods without a node get bound
// and run, a pod that fits nowhere gets the condition and the counting Event, extended resources
// from the hardware profile are honoured, and a high-priority pod preempts a low-priority one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceByName, type ResourceType } from '../../src/api/registry.js';
import type { Pod } from '../../src/api/schemas.js';
import type { KObject } from '../../src/api/types.js';
import type { ApiClient } from '../../src/client/client.js';
import { startHollowCluster, type HollowCluster } from '../helpers/hollow-cluster.js';
import { until } from '../helpers/poll.js';

const rt = (name: string): ResourceType => resourceByName(name) as ResourceType;
const pods = rt('pods');
const events = rt('events');
const nodeCount = 3;

let cluster: HollowCluster;
let api: ApiClient;

function newPod(name: string, o: { memory?: string; priority?: number; extra?: Record<string, string>; nodeSelector?: Record<string, string> } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { test: 'scheduler' } },
    spec: {
      containers: [{ name: 'c', image: 'bramble-test/busybox:1', resources: { requests: { cpu: '100m', memory: o.memory ?? '64Mi', ...o.extra } } }],
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      terminationGracePeriodSeconds: 1,
    },
  };
}

const getPod = (name: string): Promise<Pod> => api.get<Pod & KObject>(pods, 'default', name);

async function boundTo(name: string): Promise<string> {
  return until(`${name} bound`, async () => (await getPod(name)).spec.nodeName || undefined);
}

async function eventsFor(name: string, reason: string): Promise<KObject[]> {
  return (await api.list(events, 'default', { fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items;
}

async function deleteAll(): Promise<void> {
  for (const p of (await api.list(pods, 'default', { labelSelector: 'test=scheduler' })).items) {
    await api.delete(pods, 'default', p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  await until('test pods gone', async () => ((await api.list(pods, 'default', { labelSelector: 'test=scheduler' })).items.length === 0 ? true : undefined));
}

beforeAll(async () => {
  cluster = await startHollowCluster({
    name: 'scheduler-test', nodes: nodeCount, prefix: 'sched-',
    master: { scheduler: { initialBackoffMs: 100, maxBackoffMs: 1000 } },
  });
  api = cluster.api;
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('scheduler with a real master and hollow agents', () => {
  it('binds pods without a node to Ready nodes, spread over them, and they run', async () => {
    for (let i = 0; i < 6; i++) await api.create(pods, 'default', newPod(`web-${i}`));
    const placed = await Promise.all(Array.from({ length: 6 }, (_, i) => boundTo(`web-${i}`)));
    expect(new Set(placed).size).toBe(nodeCount);
    for (const n of placed) expect(n).toMatch(/^sched-\d$/);
    await until('pods Running', async () => {
      const list = await Promise.all(Array.from({ length: 6 }, (_, i) => getPod(`web-${i}`)));
      return list.every((p) => p.status?.phase === 'Running') ? true : undefined;
    });
    const p = await getPod('web-0');
    expect(p.status?.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const scheduled = await until('Scheduled event', async () => (await eventsFor('web-0', 'Scheduled'))[0]);
    expect(scheduled.message).toBe(`Successfully assigned default/web-0 to ${p.spec.nodeName}`);
    expect((scheduled.source as { component: string }).component).toBe('default-scheduler');
    await deleteAll();
  }, 60_000);

  it('a pod that fits nowhere gets PodScheduled=False and an Event counting nodes per reason', async () => {
    await api.create(pods, 'default', newPod('huge', { memory: '16Gi' }));
    await api.create(pods, 'default', newPod('x86', { nodeSelector: { 'kubernetes.io/arch': 'amd64' } }));
    const want = '0/3 nodes are available: 3 Insufficient memory.';
    const cond = await until('Unschedulable condition', async () => (await getPod('huge')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'));
    expect(cond).toMatchObject({ reason: 'Unschedulable', message: want });
    const ev = await until('FailedScheduling event', async () => (await eventsFor('huge', 'FailedScheduling'))[0]);
    expect(ev).toMatchObject({ type: 'Warning', message: want });
    const x86 = await until('x86 event', async () => (await eventsFor('x86', 'FailedScheduling'))[0]);
    expect(x86.message).toBe("0/3 nodes are available: 3 node(s) didn't match node selector.");
    expect((await getPod('huge')).spec.nodeName).toBeUndefined();
    await deleteAll();
  }, 60_000);

  it('honours extended resources from the hardware profile (one camera per Pi 4)', async () => {
    for (let i = 0; i < 4; i++) await api.create(pods, 'default', newPod(`cam-${i}`, { extra: { 'bramble.dev/camera': '1' } }));
    const bound = await until('three camera pods bound', async () => {
      const list = await Promise.all(Array.from({ length: 4 }, (_, i) => getPod(`cam-${i}`)));
      const b = list.filter((p) => p.spec.nodeName);
      return b.length === 3 ? b : undefined;
    });
    expect(new Set(bound.map((p) => p.spec.nodeName)).size).toBe(3);
    const left = Array.from({ length: 4 }, (_, i) => `cam-${i}`).find((n) => !bound.some((p) => p.metadata.name === n))!;
    const ev = await until('camera event', async () => (await eventsFor(left, 'FailedScheduling'))[0]);
    expect(ev.message).toBe('0/3 nodes are available: 3 Insufficient bramble.dev/camera.');
    await deleteAll();
  }, 60_000);

  it('a high-priority pod preempts a low-priority one and takes its node', async () => {
    for (let i = 0; i < nodeCount; i++) await api.create(pods, 'default', newPod(`low-${i}`, { memory: '3Gi', priority: 1 }));
    await Promise.all(Array.from({ length: nodeCount }, (_, i) => boundTo(`low-${i}`)));
    await api.create(pods, 'default', newPod('vip', { memory: '3Gi', priority: 1000 }));
    const node = await boundTo('vip');
    const left = (await api.list<Pod & KObject>(pods, 'default', { labelSelector: 'test=scheduler' })).items.filter((p) => p.metadata.name!.startsWith('low-'));
    expect(left).toHaveLength(nodeCount - 1);
    expect(left.map((p) => p.spec.nodeName)).not.toContain(node);
    const victim = ['low-0', 'low-1', 'low-2'].find((n) => !left.some((p) => p.metadata.name === n))!;
    const ev = await until('Preempted event', async () => (await eventsFor(victim, 'Preempted'))[0]);
    expect(ev.message).toBe(`Preempted by default/vip on node ${node}`);
    await deleteAll();
  }, 60_000);
});
