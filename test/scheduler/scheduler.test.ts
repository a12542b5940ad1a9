// The Scheduler component against a real API server (memory store), without agents: nodes are
// written by the test. Checks the loop's behaviour: assumed pods stop back-to-back over-commit,
// a cluster change retries unschedulable pods, priority order, and pods that are not ours.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import type { Pod } from '../../src/api/schemas.js';
import type { KObject } from '../../src/api/types.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { EventRecorder } from '../../src/client/events.js';
import { SharedInformers } from '../../src/client/informer.js';
import { silentLogger } from '../../src/log/logger.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { startHarness, type Harness } from '../apiserver/harness.js';
import { until } from '../helpers/poll.js';

const pods = resourceByKind('v1', 'Pod') as ResourceType;
const nodes = resourceByKind('v1', 'Node') as ResourceType;

let h: Harness;
let api: LocalApiClient;
let informers: SharedInformers;
let scheduler: Scheduler;

async function addNode(name: string, memory: string, labels: Record<string, string> = {}): Promise<void> {
  await api.create(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/arch': 'arm64', ...labels } } });
  await api.patch(nodes, undefined, name, { status: { allocatable: { cpu: '4', memory, pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', 'status');
}

function newPod(name: string, memory: string, extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { memory } } }], ...extra } };
}

async function list(): Promise<Pod[]> {
  return (await api.list<Pod & KObject>(pods, 'default')).items;
}

beforeEach(async () => {
  h = await startHarness();
  api = new LocalApiClient(h.server.resources, h.store);
  const logger = silentLogger();
  informers = new SharedInformers(api, logger);
  scheduler = new Scheduler({ api, informers, logger, events: new EventRecorder({ api, component: 'default-scheduler', logger }), config: { initialBackoffMs: 50, maxBackoffMs: 200 } });
  informers.start();
  await scheduler.start();
});

afterEach(async () => {
  await scheduler.stop();
  await informers.stop();
  await h.stop();
});

describe('Scheduler', () => {
  it('does not over-commit a node with pods created back to back (assumed pods)', async () => {
    await addNode('pi-1', '2Gi');
    await until('node seen', async () => (scheduler.cache.nodeCount === 1 ? true : undefined));
    await Promise.all(Array.from({ length: 5 }, (_, i) => api.create(pods, 'default', newPod(`p${i}`, '1Gi'))));
    const result = await until('2 bound, 3 unschedulable', async () => {
      const all = await list();
      const bound = all.filter((p) => p.spec.nodeName);
      const refused = all.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
      return bound.length === 2 && refused.length === 3 ? { bound, refused } : undefined;
    });
    expect(result.refused[0]!.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message).toBe('0/1 nodes are available: 1 Insufficient memory.');
  });

  it('retries unschedulable pods when a node joins', async () => {
    await api.create(pods, 'default', newPod('waiting', '1Gi', { nodeSelector: { 'bramble.dev/capability.camera': 'true' } }));
    await until('unschedulable', async () => (await api.get<Pod & KObject>(pods, 'default', 'waiting')).status?.conditions?.find((c) => c.reason === 'Unschedulable'));
    await addNode('cam-1', '4Gi', { 'bramble.dev/capability.camera': 'true' });
    await until('bound to cam-1', async () => ((await api.get<Pod & KObject>(pods, 'default', 'waiting')).spec.nodeName === 'cam-1' ? true : undefined));
    const p = await api.get<Pod & KObject>(pods, 'default', 'waiting');
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
  });

  it('retries when a bound pod is deleted and frees room', async () => {
    await addNode('pi-1', '1Gi');
    await api.create(pods, 'default', newPod('first', '1Gi'));
    await until('first bound', async () => (await api.get<Pod & KObject>(pods, 'default', 'first')).spec.nodeName);
    await api.create(pods, 'default', newPod('second', '1Gi'));
    await until('second unschedulable', async () => (await api.get<Pod & KObject>(pods, 'default', 'second')).status?.conditions?.find((c) => c.reason === 'Unschedulable'));
    await api.delete(pods, 'default', 'first', { gracePeriodSeconds: 0 });
    await until('second bound', async () => (await api.get<Pod & KObject>(pods, 'default', 'second')).spec.nodeName);
  });

  it('places higher priority first when both wait for the same room', async () => {
    await Promise.all([
      api.create(pods, 'default', newPod('low', '1Gi', { priority: 1 })),
      api.create(pods, 'default', newPod('high', '1Gi', { priority: 100 })),
    ]);
    await until('both unschedulable', async () => ((await list()).filter((p) => p.status?.conditions?.some((c) => c.reason === 'Unschedulable')).length === 2 ? true : undefined));
    await addNode('pi-1', '1Gi');
    await until('high bound', async () => (await api.get<Pod & KObject>(pods, 'default', 'high')).spec.nodeName);
    expect((await api.get<Pod & KObject>(pods, 'default', 'low')).spec.nodeName).toBeUndefined();
  });

  it('leaves pods for other schedulers alone', async () => {
    await addNode('pi-1', '4Gi');
    await api.create(pods, 'default', newPod('theirs', '1Gi', { schedulerName: 'my-scheduler' }));
    await api.create(pods, 'default', newPod('ours', '1Gi'));
    await until('ours bound', async () => (await api.get<Pod & KObject>(pods, 'default', 'ours')).spec.nodeName);
    const theirs = await api.get<Pod & KObject>(pods, 'default', 'theirs');
    expect(theirs.spec.nodeName).toBeUndefined();
    expect(theirs.status?.conditions ?? []).toEqual([]);
  });
});
