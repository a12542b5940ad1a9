// The endpoints controller against a real API server: Endpoints follow pods turning Ready and
// NotReady, and their node's readiness; Services without a selector keep their user's Endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { startWithControllers, type ClusterHarness } from './manager-harness.js';

let h: ClusterHarness;
beforeAll(async () => { h = await startWithControllers(['endpoints']); });
afterAll(async () => { await h?.stop(); });

const ns = '/api/v1/namespaces/default';
const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

async function ok(method: string, path: string, body?: unknown): Promise<any> {
  const r = await h.call(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function setNodeReady(name: string, status: 'True' | 'Unknown'): Promise<void> {
  await ok('PATCH', `/api/v1/nodes/${name}/status`, { status: { conditions: [{ type: 'Ready', status, lastTransitionTime: now }] } });
}

async function setPodReady(name: string, ready: boolean, hostPort = 31080): Promise<void> {
  await ok('PATCH', `${ns}/pods/${name}/status`, {
    status: {
      phase: 'Running', hostIP: '10.1.0.1',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
      portMappings: [{ containerName: 'httpd', name: 'http', containerPort: 8080, protocol: 'TCP', hostIP: '10.1.0.1', hostPort }],
    },
  });
}

/** Polls the Endpoints until `pick` returns something. */
async function endpointsUntil<T>(name: string, what: string, pick: (ep: any) => T | undefined): Promise<T> {
  return until(what, async () => {
    const ep = await h.getBody(`${ns}/endpoints/${name}`);
    return ep ? pick(ep) : undefined;
  });
}

describe('endpoints controller', () => {
  it('lists a pod as hostIP:hostPort, moves it between addresses and notReadyAddresses, and follows its node', async () => {
    await ok('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' } });
    await setNodeReady('pi-1', 'True');
    await ok('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    await ok('POST', `${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', labels: { app: 'web' } },
      spec: { nodeName: 'pi-1', containers: [{ name: 'httpd', image: 'busybox:1.36', ports: [{ name: 'http', containerPort: 8080 }] }] },
    });
    // Created at once, empty: the pod has not reported where it runs.
    const empty = await endpointsUntil('web', 'empty endpoints', (ep) => ep);
    expect(empty.subsets).toEqual([]);
    expect(empty.metadata.annotations['bramble.dev/endpoint-address-type']).toBe('hostIP:hostPort');

    await setPodReady('web-1', true);
    const ready = await endpointsUntil('web', 'a ready address', (ep) => (ep.subsets[0]?.addresses ? ep : undefined));
    expect(ready.subsets).toEqual([{
      addresses: [{ ip: '10.1.0.1', nodeName: 'pi-1', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: expect.any(String) } }],
      ports: [{ name: 'http', port: 31080, protocol: 'TCP' }],
    }]);

    await setPodReady('web-1', false);
    await endpointsUntil('web', 'the pod not ready', (ep) => (ep.subsets[0]?.notReadyAddresses?.length === 1 && !ep.subsets[0].addresses ? true : undefined));
    await setPodReady('web-1', true);
    await endpointsUntil('web', 'the pod ready again', (ep) => (ep.subsets[0]?.addresses?.length === 1 ? true : undefined));

    // The node stops reporting: its pods cannot be vouched for.
    await setNodeReady('pi-1', 'Unknown');
    await endpointsUntil('web', 'not ready with its node', (ep) => (ep.subsets[0]?.notReadyAddresses?.length === 1 ? true : undefined));
    await setNodeReady('pi-1', 'True');
    const back = await endpointsUntil('web', 'ready with its node', (ep) => (ep.subsets[0]?.addresses?.length === 1 ? ep : undefined));

    // A status write that changes nothing Endpoints show does not rewrite them.
    await ok('PATCH', `${ns}/pods/web-1/status`, { status: { startTime: now } });
    await ok('PATCH', `${ns}/services/web`, { metadata: { annotations: { touched: 'yes' } } });
    // Let the controller see both changes: a later change it must act on proves it has.
    await ok('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'marker' }, spec: { selector: { app: 'none' }, ports: [{ port: 1 }] } });
    await endpointsUntil('marker', 'a later service handled', (ep) => ep);
    expect((await h.getBody(`${ns}/endpoints/web`)).metadata.resourceVersion).toBe(back.metadata.resourceVersion);

    // Deleting the pod empties the Endpoints; deleting the Service deletes them.
    await ok('DELETE', `${ns}/pods/web-1?gracePeriodSeconds=0`);
    await endpointsUntil('web', 'no addresses', (ep) => (ep.subsets.length === 0 ? true : undefined));
    await ok('DELETE', `${ns}/services/web`);
    await until('endpoints deleted with the service', async () => ((await h.getBody(`${ns}/endpoints/web`)) === undefined ? true : undefined));
  });

  it('leaves the Endpoints of a Service without a selector to its user', async () => {
    await ok('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external' }, spec: { ports: [{ port: 5432 }] } });
    const mine = await ok('POST', `${ns}/endpoints`, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external' }, subsets: [{ addresses: [{ ip: '192.168.1.50' }], ports: [{ port: 5432 }] }] });
    // A change the controller must act on, made after: once it shows, the selector-less one has been seen.
    await ok('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'marker2' }, spec: { selector: { app: 'none' }, ports: [{ port: 1 }] } });
    await endpointsUntil('marker2', 'a later service handled', (ep) => ep);
    const after = await h.getBody(`${ns}/endpoints/external`);
    expect(after.metadata.resourceVersion).toBe(mine.metadata.resourceVersion);
  });
});
