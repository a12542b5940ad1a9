// The node lifecycle controller alone, against a real API server, on a fake clock: the node's
// Ready condition is written by hand, time moves only when the test says, and a pod label
// change wakes the controller (as any pod event on a not-Ready node does). "Nothing happened"
// is never shown by waiting: the test waits for the controller's report of a reconcile made at
// the clock it set, which says what it decided for each pod (evictions are done by then).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { NodeLifecycleController, type NodeReconcileReport } from '../../src/controllers/node-lifecycle.js';
import { podsType } from '../../src/controllers/owners.js';
import { silentLogger } from '../../src/log/logger.js';
import { pod, startHarness, type Harness } from '../apiserver/harness.js';
import { until } from '../helpers/poll.js';

const t0 = Date.parse('2024-05-01T10:00:00Z');
let clock = t0;
let h: Harness;
let manager: ControllerManager;
let controller: NodeLifecycleController;

beforeAll(async () => {
  h = await startHarness();
  manager = new ControllerManager({ api: new LocalApiClient(h.server.resources, h.store), logger: silentLogger(), only: ['node-lifecycle'], now: () => clock });
  controller = manager.controllers.find((c): c is NodeLifecycleController => c instanceof NodeLifecycleController) as NodeLifecycleController;
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
// Positive waits only: generous (they end as soon as the thing is there), polled often.
const waitFor = (what: string, check: () => Promise<boolean>): Promise<true> => until(what, async () => ((await check()) ? true : undefined), 20_000, 20);

async function bound(name: string, node: string, tolerationSeconds?: number): Promise<void> {
  const tolerations = tolerationSeconds === undefined ? [] : [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds }];
  const r = await h.call('POST', '/api/v1/namespaces/default/pods', pod(name, { spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], tolerations } }));
  expect(r.status).toBe(201);
}

/**
 * The first reconcile of `node` made when the clock read `at`. Call it before the change that
 * wakes the controller. Any such reconcile will do: the decision depends only on the clock and
 * the pods, which are all known by then. The real-time limit only turns a hang into a message.
 */
function decidedAt(node: string, at: number): Promise<NodeReconcileReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no reconcile of ${node} at t0+${at - t0} ms`)); }, 20_000);
    const off = controller.onReconciled((r) => {
      if (r.node !== node || r.now !== at) return;
      off();
      clearTimeout(timer);
      resolve(r);
    });
  });
}

/** Moves the clock, wakes the controller about `node` with a poke of `podName`, and returns what it decided then. */
async function atTime(ms: number, node: string, podName: string): Promise<NodeReconcileReport> {
  clock = ms;
  const decided = decidedAt(node, ms);
  await poke(podName);
  return await decided;
}

describe('node lifecycle controller (fake clock)', () => {
  it('taints an Unknown node, marks its pods not ready, evicts each only when its toleration runs out', async () => {
    clock = t0;
    await bound('own-30s', 'pi-a', 30);
    await bound('default', 'pi-a');
    await setReady('pi-a', 'Unknown');
    await waitFor('taints', async () => (await taints('pi-a')).length === 2);
    expect((await h.call('GET', '/api/v1/nodes/pi-a')).body.spec.taints[1]).toEqual({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-05-01T10:00:00Z' });
    await waitFor('pods not ready', async () => (await h.call('GET', '/api/v1/namespaces/default/pods/default')).body.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'False'));

    expect((await atTime(t0 + 29_000, 'pi-a', 'default')).pods).toEqual({
      'default/own-30s': { action: 'wait', afterMs: 1000 },
      'default/default': { action: 'wait', afterMs: 871_000 },
    });
    expect([await exists('own-30s'), await exists('default')]).toEqual([true, true]);

    expect((await atTime(t0 + 30_000, 'pi-a', 'default')).pods).toMatchObject({ 'default/own-30s': { action: 'evict' }, 'default/default': { action: 'wait', afterMs: 870_000 } });
    expect([await exists('own-30s'), await exists('default')]).toEqual([false, true]);

    expect((await atTime(t0 + 899_000, 'pi-a', 'default')).pods).toEqual({ 'default/default': { action: 'wait', afterMs: 1000 } });
    expect(await exists('default')).toBe(true);

    expect((await atTime(t0 + 900_000, 'pi-a', 'default')).pods).toMatchObject({ 'default/default': { action: 'evict' } });
    expect(await exists('default')).toBe(false);
  });

  it('a node back before the timeout loses its taints and keeps its pods, however late it gets', async () => {
    clock = t0;
    await bound('stay', 'pi-b', 30);
    await setReady('pi-b', 'Unknown');
    await waitFor('taints', async () => (await taints('pi-b')).length === 2);
    clock = t0 + 10_000;
    await setReady('pi-b', 'True');
    await waitFor('taints gone', async () => (await taints('pi-b')).length === 0);
    clock = t0 + 10_000_000;
    const late = decidedAt('pi-b', clock);
    // Pod events on a Ready, untainted node do not wake the controller; a change of the node's
    // taints does, and someone else's NoSchedule taint can evict nothing.
    expect((await h.call('PATCH', '/api/v1/nodes/pi-b', { spec: { taints: [{ key: 'example.com/maintenance', effect: 'NoSchedule' }] } })).status).toBe(200);
    const r = await late;
    expect(r.ready).toBe('True');
    expect(r.pods).toEqual({ 'default/stay': { action: 'keep' } });
    expect(await exists('stay')).toBe(true);
  });

  it('the pods of a deleted Node are removed; a pod bound to a node not registered yet is not', async () => {
    await setReady('pi-d', 'True');
    await bound('orphan', 'pi-d');
    await bound('early', 'pi-not-yet');
    expect((await h.call('DELETE', '/api/v1/nodes/pi-d')).status).toBe(200);
    await waitFor('orphan removed', async () => !(await exists('orphan')));
    // Nothing wakes the controller about a name no node has had (that is part of the point), so
    // it is asked directly, once it knows the pod bound there.
    await waitFor('early in the controller\'s cache', async () => manager.informers.for(podsType).get('default', 'early') !== undefined);
    await controller.reconcile('/pi-not-yet');
    expect(await exists('early')).toBe(true);
  });

  it('Ready=False taints not-ready; cordon adds unschedulable', async () => {
    await setReady('pi-c', 'False');
    await waitFor('not-ready', async () => (await taints('pi-c')).join() === 'node.kubernetes.io/not-ready:NoSchedule,node.kubernetes.io/not-ready:NoExecute');
    await h.call('PATCH', '/api/v1/nodes/pi-c', { spec: { unschedulable: true } });
    await waitFor('unschedulable', async () => (await taints('pi-c')).includes('node.kubernetes.io/unschedulable:NoSchedule'));
  });
});
