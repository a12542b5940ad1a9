// LoadBalancer Services on a LAN: the gateway's address as ingress, one owner per port and
// protocol (the oldest), a Warning Event naming the owner for the later one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { planLoadBalancers } from '../../src/controllers/cloud/service-lb.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/log/logger.js';
import { startHarness, type Harness } from '../apiserver/harness.js';
import { until } from '../helpers/poll.js';

const gw = '192.168.1.50';

function svc(name: string, created: string, ports: [number, string?][], type = 'LoadBalancer', extra: Partial<KObject['metadata']> = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: created, ...extra },
    spec: { type, ports: ports.map(([port, protocol]) => ({ port, ...(protocol ? { protocol } : {}) })) },
  };
}

describe('planLoadBalancers', () => {
  const ingress = [{ ip: gw, ipMode: 'Proxy' }];
  const cases: { name: string; services: KObject[]; want: Record<string, unknown> }[] = [
    { name: 'one LoadBalancer gets the gateway', services: [svc('a', 't1', [[80]])], want: { 'default/a': { ingress } } },
    { name: 'other types get no decision', services: [svc('c', 't1', [[80]], 'ClusterIP'), svc('n', 't1', [[80]], 'NodePort')], want: {} },
    {
      name: 'same port and protocol: the older keeps it, the later names it',
      services: [svc('late', 't2', [[80]]), svc('early', 't1', [[80]])],
      want: { 'default/early': { ingress }, 'default/late': { ingress: [], conflict: { port: 80, protocol: 'TCP', owner: 'default/early' } } },
    },
    { name: 'same port, other protocol: both', services: [svc('tcp', 't1', [[53]]), svc('udp', 't2', [[53, 'UDP']])], want: { 'default/tcp': { ingress }, 'default/udp': { ingress } } },
    {
      name: 'one taken port of several is enough to lose all; the loser claims nothing',
      services: [svc('a', 't1', [[80]]), svc('b', 't2', [[443], [80]]), svc('c', 't3', [[443]])],
      want: { 'default/a': { ingress }, 'default/b': { ingress: [], conflict: { port: 80, protocol: 'TCP', owner: 'default/a' } }, 'default/c': { ingress } },
    },
    { name: 'equal creation times: by name', services: [svc('b', 't1', [[80]]), svc('a', 't1', [[80]])], want: { 'default/a': { ingress }, 'default/b': { ingress: [], conflict: { port: 80, protocol: 'TCP', owner: 'default/a' } } } },
    { name: 'a Service being deleted claims nothing', services: [svc('a', 't1', [[80]], 'LoadBalancer', { deletionTimestamp: 't5' }), svc('b', 't2', [[80]])], want: { 'default/b': { ingress } } },
  ];
  for (const c of cases) it(c.name, () => { expect(Object.fromEntries(planLoadBalancers(c.services, gw))).toEqual(c.want); });
  it('the gateway\'s own listeners are never given out', () => {
    const reserved = new Map([['TCP/6443', 'the master\'s API server']]);
    expect(Object.fromEntries(planLoadBalancers([svc('api', 't1', [[6443]]), svc('udp', 't1', [[6443, 'UDP']])], gw, reserved))).toEqual({
      'default/api': { ingress: [], conflict: { port: 6443, protocol: 'TCP', owner: 'the master\'s API server' } },
      'default/udp': { ingress },
    });
  });
});

describe('the service-lb controller against an API server', () => {
  let h: Harness;
  let manager: ControllerManager;
  beforeAll(async () => {
    h = await startHarness();
    manager = new ControllerManager({ api: new LocalApiClient(h.server.resources, h.store), logger: silentLogger(), only: ['service-lb'], config: { loadBalancerAddress: gw } });
    await manager.start();
  });
  afterAll(async () => { await manager?.stop(); await h?.stop(); });

  const ns = '/api/v1/namespaces/default';
  const create = async (name: string, type: string, port: number): Promise<void> => {
    const r = await h.call('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, ports: [{ port }] } });
    expect(r.status).toBe(201);
  };
  const ingressOf = async (name: string): Promise<unknown[] | undefined> => ((await h.call('GET', `${ns}/services/${name}`)).body as any).status?.loadBalancer?.ingress;

  it('gives the gateway address; a later Service on the same port gets none and a Warning naming the owner; it takes over when freed', async () => {
    await create('web', 'LoadBalancer', 8080);
    await until('web ingress', async () => (await ingressOf('web'))?.length === 1);
    expect(await ingressOf('web')).toEqual([{ ip: gw, ipMode: 'Proxy' }]);
    // Created in the same second or later: older, or equal and first by name, web keeps the port.
    await create('web2', 'LoadBalancer', 8080);
    const ev = await until('conflict event', async () => ((await h.call('GET', `${ns}/events`)).body as any).items.find((e: any) => e.reason === 'LoadBalancerPortInUse'));
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { name: 'web2' } });
    expect(ev.message).toContain('default/web');
    expect(await ingressOf('web2')).toBeUndefined();
    // A Service that stops being a LoadBalancer loses its ingress (and frees the port).
    const cur = (await h.call('GET', `${ns}/services/web`)).body as any;
    cur.spec.type = 'ClusterIP';
    delete cur.spec.ports[0].nodePort;
    expect((await h.call('PUT', `${ns}/services/web`, cur)).status).toBe(200);
    await until('web loses its ingress', async () => (await ingressOf('web')) === undefined);
    await until('web2 takes over', async () => (await ingressOf('web2'))?.length === 1);
  });
});
