// The namespace and event TTL controllers against a real API server (memory store), each run
// alone by a controller manager, with a fixed fake clock where time matters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/log/logger.js';
import { configMap, pod, startHarness, type Harness } from '../apiserver/harness.js';
import { until } from '../helpers/poll.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

async function withManager(only: string, opts: Partial<ConstructorParameters<typeof ControllerManager>[0]>, fn: () => Promise<void>): Promise<void> {
  const m = new ControllerManager({ api: new LocalApiClient(h.server.resources, h.store), logger: silentLogger(), only: [only], ...opts });
  await m.start();
  try { await fn(); } finally { await m.stop(); }
}

const gone = async (path: string): Promise<true | undefined> => ((await h.call('GET', path)).status === 404 ? true : undefined);

describe('namespace controller', () => {
  it('waits for pods still terminating on their node, then removes the namespace', async () => {
    await withManager('namespace', {}, async () => {
      await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'slow' } });
      await h.call('POST', '/api/v1/namespaces/slow/configmaps', configMap('c'));
      // Bound to a node and running: deletion only marks it until the node confirms.
      const p = pod('bound', { spec: { nodeName: 'pi-1', containers: [{ name: 'main', image: 'busybox' }] } });
      expect((await h.call('POST', '/api/v1/namespaces/slow/pods', p)).status).toBe(201);
      await h.call('PUT', '/api/v1/namespaces/slow/pods/bound/status', { ...(await h.call('GET', '/api/v1/namespaces/slow/pods/bound')).body, status: { phase: 'Running' } });
      await h.call('DELETE', '/api/v1/namespaces/slow');
      await until('configmap deleted', () => gone('/api/v1/namespaces/slow/configmaps/c'), 10_000);
      await until('pod terminating', async () => ((await h.call('GET', '/api/v1/namespaces/slow/pods/bound')).body.metadata?.deletionTimestamp ? true : undefined), 10_000);
      const ns = await h.call('GET', '/api/v1/namespaces/slow');
      expect(ns.body.status.phase).toBe('Terminating');
      expect(ns.body.spec.finalizers).toEqual(['kubernetes']);
      // The node confirms (a zero-grace delete, as the gateway does).
      await h.call('DELETE', '/api/v1/namespaces/slow/pods/bound?gracePeriodSeconds=0');
      await until('namespace removed', () => gone('/api/v1/namespaces/slow'), 10_000);
    });
  }, 30_000);
});

describe('event TTL controller (fake clock)', () => {
  it('deletes Events not seen for the TTL, keeps the others', async () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    const ev = (name: string, lastTimestamp: string): Record<string, unknown> => ({
      apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      reason: 'Test', message: 'm', type: 'Normal', count: 1, firstTimestamp: '2024-04-01T00:00:00Z', lastTimestamp,
    });
    expect((await h.call('POST', '/api/v1/namespaces/default/events', ev('old', '2024-05-01T08:59:00Z'))).status).toBe(201);
    expect((await h.call('POST', '/api/v1/namespaces/default/events', ev('recent', '2024-05-01T09:59:00Z'))).status).toBe(201);
    await withManager('event-ttl', { now: () => now, config: { eventTTLSeconds: 3600 } }, async () => {
      await until('old event deleted', () => gone('/api/v1/namespaces/default/events/old'), 10_000);
      expect((await h.call('GET', '/api/v1/namespaces/default/events/recent')).status).toBe(200);
    });
  }, 30_000);
});
