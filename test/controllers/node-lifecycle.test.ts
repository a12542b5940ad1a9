// The node lifecycle controller alone, against a real API server, on a fake clock: the node's
// Ready condition is written by hand, time moves only when the test says, and a pod label
// change wakes the controller (as any pod event on a not-Ready node does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/log/logger.js';
import { pod, startHarness, type Harness } from '../apiserver/harness.js';
import { until } from '../helpers/poll.js';

const t0 = Date.parse('2024-05-01T10:00:00Z');
let clock = t0;
let h: Harness;
let manager: ControllerManager;

beforeAll(async () => {
  h = await startHarness();
  manager = new ControllerManager({ api: new LocalApiClient(h.server.resources, h.store), logger: silentLogger(), only: ['node-lifecycle'], now: () => clock });
  await manager.start();
});
afterAll(async () => { await manager.stop(); await h.stop(); });

async function setReady(node: string, status: 'True' | 'False' | 'Unknown'): Promise<void> {
  const cur = await h.call('GET', `/api/v1/nodes/${node}`);
  if (cur.status === 404) await h.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } });
  const r = await h.call('PATCH', `/api/v1/nodes/${node}/status`, { status: { conditions: [{ type: 'Ready', status }] } });
  expect(r.status).toBe(200);
}

const taints = async (node: string): Promise<string[]> => ((await h.call('GET', `/api/v1/nodes/${node}`)).body.spec?.taints ?? []).map((t: any) => `${t.key}:${t.effect}`);
const exists = async (name: string): Promise<boolean> => (await h.call('GET', `/api/v1/namespaces/default/pods/${name}`)).status === 200;
let pokes = 0;
const poke = async (name: string): Promise<void> => { await h.call('PATCH', `/api/v1/namespaces/default/pods/${name}`, { metadata: { labels: { poke: String(++pokes) } } }); };

async function bound(name: string, node: string, tolerationSeconds?: number): Promise<void> {
  const tolerations = tolerationSeconds === undefined ? [] : [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds }];
  const r = await h.call('POST', '/api/v1/namespaces/default/pods', pod(name, { spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], tolerations } }));
  expect(r.status).toBe(201);
}

/** Let the controller handle what it was woken for, then check nothing else changed. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

describe('node lifecycle controller (fake clock)', () => {
  it('taints an Unknown node, marks its pods not ready, evicts each only when its toleration runs out', async () => {
    clock = t0;
    await bound('own-30s', 'pi-a', 30);
    await bound('default', 'pi-a');
    await setReady('pi-a', 'Unknown');
    await until('taints', async () => ((await taints('pi-a')).length === 2 ? true : undefined), 5000);
    expect((await h.call('GET', '/api/v1/nodes/pi-a')).body.spec.taints[1]).toEqual({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-05-01T10:00:00Z' });
    await until('pods not ready', async () => ((await h.call('GET', '/api/v1/namespaces/default/pods/default')).body.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'False') ? true : undefined), 5000);

    clock = t0 + 29_000;
    await poke('default');
    await settle();
    expect([await exists('own-30s'), await exists('default')]).toEqual([true, true]);

    clock = t0 + 30_000;
    await poke('default');
    await until('own-30s evicted', async () => (!(await exists('own-30s')) ? true : undefined), 5000);
    expect(await exists('default')).toBe(true);

    clock = t0 + 899_000;
    await poke('default');
    await settle();
    expect(await exists('default')).toBe(true);

    clock = t0 + 900_000;
    await poke('default');
    await until('default evicted after the cluster default (900 s)', async () => (!(await exists('default')) ? true : undefined), 5000);
  });

  it('a node back before the timeout loses its taints and keeps its pods, however late it gets', async () => {
    clock = t0;
    await bound('stay', 'pi-b', 30);
    await setReady('pi-b', 'Unknown');
    await until('taints', async () => ((await taints('pi-b')).length === 2 ? true : undefined), 5000);
    clock = t0 + 10_000;
    await setReady('pi-b', 'True');
    await until('taints gone', async () => ((await taints('pi-b')).length === 0 ? true : undefined), 5000);
    clock = t0 + 10_000_000;
    await poke('stay');
    await settle();
    expect(await exists('stay')).toBe(true);
  });

  it('the pods of a deleted Node are removed; a pod bound to a node not registered yet is not', async () => {
    await setReady('pi-d', 'True');
    await bound('orphan', 'pi-d');
    await bound('early', 'pi-not-yet');
    expect((await h.call('DELETE', '/api/v1/nodes/pi-d')).status).toBe(200);
    await until('orphan removed', async () => (!(await exists('orphan')) ? true : undefined), 5000);
    await poke('early');
    await settle();
    expect(await exists('early')).toBe(true);
  });

  it('Ready=False taints not-ready; cordon adds unschedulable', async () => {
    await setReady('pi-c', 'False');
    await until('not-ready', async () => ((await taints('pi-c')).join() === 'node.kubernetes.io/not-ready:NoSchedule,node.kubernetes.io/not-ready:NoExecute' ? true : undefined), 5000);
    await h.call('PATCH', '/api/v1/nodes/pi-c', { spec: { unschedulable: true } });
    await until('unschedulable', async () => ((await taints('pi-c')).includes('node.kubernetes.io/unschedulable:NoSchedule') ? true : undefined), 5000);
  });
});
