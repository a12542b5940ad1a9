// The endpoints controller reads one namespace at a time: a Service's Endpoints hold only its
// namespace's pods, a pod event queues only its namespace's Services, a deleted pod leaves at
// once (the informer's namespace index must not go stale), and nodes are looked up by name.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { EventRecorder } from '../../src/client/events.js';
import { SharedInformers } from '../../src/client/informer.js';
import type { ReconcileLoop } from '../../src/controllers/controller.js';
import { EndpointsController } from '../../src/controllers/endpoints.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeApi } from '../client/fake-api.js';

let rv = 100;
const nextRv = (): string => String(++rv);

function service(namespace: string, name: string): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, resourceVersion: '1' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
}

function pod(namespace: string, name: string, o: { ready?: boolean; node?: string; hostPort?: number } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}`, labels: { app: 'web' }, resourceVersion: nextRv() },
    spec: { nodeName: o.node ?? 'pi-1', containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }] }] },
    status: {
      phase: 'Running', hostIP: '10.0.0.1', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      portMappings: [{ containerName: 'c', containerPort: 8080, protocol: 'TCP', hostPort: o.hostPort ?? 31000 }],
    },
  };
}

function node(name: string, ready: string): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, resourceVersion: nextRv() }, status: { conditions: [{ type: 'Ready', status: ready }] } };
}

interface Address { targetRef: { name: string } }
interface Subset { addresses?: Address[]; notReadyAddresses?: Address[] }

let api: FakeApi;
let informers: SharedInformers;
let ctrl: EndpointsController;

/** Pod names in the last Endpoints written for `key`, ready and not ready. */
function lastEndpoints(key: string): { ready: string[]; notReady: string[] } | undefined {
  const w = api.writes.filter((x) => x.plural === 'endpoints' && x.key === key).at(-1);
  if (!w?.obj) return undefined;
  const subsets = (w.obj.subsets ?? []) as Subset[];
  const pick = (f: (s: Subset) => Address[] | undefined): string[] => subsets.flatMap((s) => f(s) ?? []).map((a) => a.targetRef.name).sort();
  return { ready: pick((s) => s.addresses), notReady: pick((s) => s.notReadyAddresses) };
}

const waitFor = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 3000, interval: 5 });

beforeEach(async () => {
  api = new FakeApi();
  api.state.set('nodes', [node('pi-1', 'True')]);
  api.state.set('services', [service('default', 'web'), service('other', 'web')]);
  api.state.set('pods', [pod('default', 'a'), pod('default', 'b', { hostPort: 31001 }), pod('other', 'c')]);
  const logger = silentLogger();
  informers = new SharedInformers(api.asApi(), logger);
  ctrl = new EndpointsController({ api: api.asApi(), informers, logger, events: new EventRecorder({ api: api.asApi(), component: 'test', logger }), now: Date.now });
  ctrl.start();
  informers.start();
  await waitFor(() => expect(api.writes.filter((w) => w.verb === 'create')).toHaveLength(2));
});

afterEach(async () => {
  await ctrl.stop();
  await informers.stop();
});

describe('endpoints controller, per namespace', () => {
  it('lists only the pods of the Service\'s namespace', () => {
    expect(lastEndpoints('default/web')).toEqual({ ready: ['a', 'b'], notReady: [] });
    expect(lastEndpoints('other/web')).toEqual({ ready: ['c'], notReady: [] });
  });

  it('a pod event queues only the Services of the pod\'s namespace', async () => {
    // The loop is private: its queue is where a pod event's reach shows.
    const enqueue = vi.spyOn((ctrl as unknown as { loop: ReconcileLoop }).loop, 'enqueue');
    api.push('pods', 'MODIFIED', pod('other', 'c', { ready: false }));
    await waitFor(() => expect(lastEndpoints('other/web')).toEqual({ ready: [], notReady: ['c'] }));
    expect(new Set(enqueue.mock.calls.map(([k]) => k))).toEqual(new Set(['other/web']));
    expect(lastEndpoints('default/web')).toEqual({ ready: ['a', 'b'], notReady: [] });
  });

  it('drops a deleted pod at once, and a pod added in another namespace stays there', async () => {
    api.push('pods', 'DELETED', pod('default', 'a'));
    await waitFor(() => expect(lastEndpoints('default/web')).toEqual({ ready: ['b'], notReady: [] }));
    api.push('pods', 'ADDED', pod('other', 'd', { hostPort: 31002 }));
    await waitFor(() => expect(lastEndpoints('other/web')).toEqual({ ready: ['c', 'd'], notReady: [] }));
    expect(lastEndpoints('default/web')).toEqual({ ready: ['b'], notReady: [] });
  });

  it('looks nodes up by name: a node going NotReady, and a pod on a node it does not know', async () => {
    api.push('nodes', 'MODIFIED', node('pi-1', 'Unknown'));
    await waitFor(() => expect(lastEndpoints('default/web')).toEqual({ ready: [], notReady: ['a', 'b'] }));
    await waitFor(() => expect(lastEndpoints('other/web')).toEqual({ ready: [], notReady: ['c'] }));
    api.push('nodes', 'MODIFIED', node('pi-1', 'True'));
    api.push('pods', 'ADDED', pod('other', 'ghost', { node: 'pi-9', hostPort: 31003 }));
    await waitFor(() => expect(lastEndpoints('other/web')).toEqual({ ready: ['c'], notReady: ['ghost'] }));
  });
});
