import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { intToIp, ipToInt, parseCIDR, parsePortRange, ServiceAllocator } from '../../src/apiserver/service-alloc.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store, StoredValue, WatchCallbacks, WatchHandle, WatchOptions } from '../../src/store/store.js';
import { until } from '../helpers/poll.js';
import { startHarness, type Harness } from './harness.js';

const base = '/api/v1/namespaces/default/services';

function svc(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec } };
}

describe('service ranges', () => {
  it('parses a CIDR into usable host addresses, keeping the first back', () => {
    const r = parseCIDR('10.96.0.0/30');
    expect([intToIp(r.first), intToIp(r.last)]).toEqual(['10.96.0.2', '10.96.0.2']);
    expect(intToIp(ipToInt('192.168.7.9'))).toBe('192.168.7.9');
    expect(() => parseCIDR('10.96.0.0')).toThrow(/IPv4 CIDR/);
    expect(() => parseCIDR('10.300.0.0/16')).toThrow(/IPv4 CIDR/);
    expect(parsePortRange('30000-30002', 'NodePort')).toEqual({ first: 30000, last: 30002 });
    expect(() => parsePortRange('3-2', 'NodePort')).toThrow(/NodePort range "3-2"/);
  });
});

describe('service allocation through the API', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ serviceRanges: { clusterIPRange: '10.200.0.0/29', nodePortRange: '30000-30002', proxyPortRange: '20000-20009' } });
  });
  afterEach(async () => { await h.stop(); });

  it('allocates a ClusterIP, NodePorts and proxy ports, unique across Services', async () => {
    const a = await h.call('POST', base, svc('a', { type: 'NodePort' }));
    const b = await h.call('POST', base, svc('b'));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.spec.clusterIP).toMatch(/^10\.200\.0\.[2-6]$/);
    expect(a.body.spec.clusterIPs).toEqual([a.body.spec.clusterIP]);
    expect(b.body.spec.clusterIP).not.toBe(a.body.spec.clusterIP);
    expect(a.body.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(b.body.spec.ports[0].nodePort).toBeUndefined();
    expect(a.body.status.proxyPorts).toEqual([{ port: 80, protocol: 'TCP', proxyPort: expect.any(Number) }]);
    expect(b.body.status.proxyPorts[0].proxyPort).not.toBe(a.body.status.proxyPorts[0].proxyPort);
  });

  it('refuses a requested ClusterIP or NodePort that is taken or out of range, naming the field', async () => {
    const a = await h.call('POST', base, svc('a', { type: 'NodePort', clusterIP: '10.200.0.3', ports: [{ port: 80, nodePort: 30001 }] }));
    expect(a.status).toBe(201);
    const ip = await h.call('POST', base, svc('b', { clusterIP: '10.200.0.3' }));
    expect(ip.status).toBe(422);
    expect(ip.body.message).toContain('spec.clusterIP: Invalid value: "10.200.0.3": provided IP is already allocated');
    const np = await h.call('POST', base, svc('c', { type: 'NodePort', ports: [{ port: 81, nodePort: 30001 }] }));
    expect(np.status).toBe(422);
    expect(np.body.message).toContain('spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated');
    const out = await h.call('POST', base, svc('d', { type: 'NodePort', ports: [{ port: 81, nodePort: 31000 }] }));
    expect(out.status).toBe(422);
    expect(out.body.message).toContain('range of valid ports is 30000-30002');
    // The refused creates left nothing held: the two free NodePorts are still there.
    expect((await h.call('POST', base, svc('e', { type: 'NodePort', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] }))).status).toBe(201);
    const full = await h.call('POST', base, svc('f', { type: 'NodePort' }));
    expect(full.status).toBe(500);
    expect(full.body.message).toMatch(/no NodePort left to allocate in 30000-30002/);
  });

  it('frees values on delete and on a type change, and keeps them across updates', async () => {
    const a = await h.call('POST', base, svc('a', { type: 'NodePort' }));
    const nodePort = a.body.spec.ports[0].nodePort as number;
    const proxyPort = a.body.status.proxyPorts[0].proxyPort as number;
    const put = await h.call('PUT', `${base}/a`, svc('a', { type: 'NodePort' }));
    expect(put.status).toBe(200);
    expect(put.body.spec.ports[0].nodePort).toBe(nodePort);
    expect(put.body.status.proxyPorts[0].proxyPort).toBe(proxyPort);
    expect(put.body.metadata.resourceVersion).toBe(a.body.metadata.resourceVersion);
    // A status write without proxyPorts cannot drop them: they are the server's.
    const st = await h.call('PUT', `${base}/a/status`, { ...put.body, status: { loadBalancer: {} } });
    expect(st.status).toBe(200);
    expect(st.body.status.proxyPorts[0].proxyPort).toBe(proxyPort);
    const toClusterIP = await h.call('PATCH', `${base}/a`, { spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    expect(toClusterIP.status).toBe(200);
    expect(toClusterIP.body.spec.ports[0].nodePort).toBeUndefined();
    const reuse = await h.call('POST', base, svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort }] }));
    expect(reuse.status).toBe(201);
    expect((await h.call('DELETE', `${base}/b`)).status).toBe(200);
    await expectEventually(async () => (await h.call('POST', base, svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort }] }))).status === 201);
  });

  it('rebuilds its index from the stored Services when the server starts again', async () => {
    const a = await h.call('POST', base, svc('a', { type: 'NodePort' }));
    await h.server.stop();
    const again = await startHarness({ store: h.store, serviceRanges: { clusterIPRange: '10.200.0.0/29', nodePortRange: '30000-30002', proxyPortRange: '20000-20009' } });
    try {
      const dup = await again.call('POST', base, svc('b', { clusterIP: a.body.spec.clusterIP }));
      expect(dup.status).toBe(422);
    } finally {
      await again.server.stop();
    }
  });
});

async function expectEventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition never held');
}

describe('service allocation index: reload after its watch fell behind', () => {
  /** A MemoryStore whose service watch can be stalled (events dropped) and then closed, as the store does to a follower that fell behind. */
  function stallableStore(): { store: Store; stall(): void; fellBehind(): void } {
    const inner = new MemoryStore();
    let stalled = false;
    let close: (() => void) | undefined;
    const watch = <T extends StoredValue>(prefix: string, opts: WatchOptions, cb: WatchCallbacks<T>): WatchHandle => {
      const h = inner.watch<T>(prefix, opts, { onEvent: (e) => { if (!stalled) cb.onEvent(e); } });
      close = () => { h.close(); cb.onClose?.(undefined); };
      return h;
    };
    const store = new Proxy(inner, {
      get: (t, p) => {
        if (p === 'watch') return watch;
        const v = Reflect.get(t, p) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    return { store, stall: () => { stalled = true; }, fellBehind: () => { stalled = false; close?.(); } };
  }

  const stored = (name: string, clusterIP: string, nodePort: number): Record<string, unknown> => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: name },
    spec: { type: 'NodePort', clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80, nodePort }] }, status: { proxyPorts: [] },
  });
  const request = (name: string, clusterIP: string): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP, ports: [{ port: 80 }] } }) as unknown as KObject;

  it('frees the values of a Service deleted meanwhile, and keeps those of an allocation in flight', async () => {
    const s = stallableStore();
    await s.store.start();
    const alloc = new ServiceAllocator(s.store, silentLogger(), { clusterIPRange: '10.200.0.0/29', nodePortRange: '30000-30002', proxyPortRange: '20000-20009' });
    await alloc.start();
    const key = '/registry/core/services/default/a';
    await s.store.create(key, stored('a', '10.200.0.3', 30001));
    const taken = (ip: string): boolean => {
      try { alloc.allocate('default/probe', request('probe', ip), undefined).abort(); return false; } catch { return true; }
    };
    await until('a\'s address held', async () => (taken('10.200.0.3') ? true : undefined), 5000, 10);
    s.stall();
    await s.store.delete(key); // the index does not see this
    expect(() => alloc.allocate('default/b', request('b', '10.200.0.3'), undefined)).toThrow(/already allocated/);
    const inFlight = alloc.allocate('default/c', request('c', '10.200.0.4'), undefined);
    s.fellBehind();
    await until('a\'s address freed by the reload', async () => (taken('10.200.0.3') ? undefined : true), 5000, 10);
    // The in-flight one still holds its address until its write settles.
    expect(() => alloc.allocate('default/d', request('d', '10.200.0.4'), undefined)).toThrow(/already allocated/);
    inFlight.abort();
    alloc.allocate('default/d', request('d', '10.200.0.4'), undefined).abort();
    alloc.stop();
    await s.store.stop();
  });
});
