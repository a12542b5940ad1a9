// Node heartbeats through the API reach watchers but not the disk; real changes do.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelStore } from '../../src/store/level.js';
import { silentLogger } from '../../src/log/logger.js';
import { readWatch, startHarness } from './harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-volatile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nodeStatus(heartbeat: string, ready: 'True' | 'False') {
  return {
    capacity: { cpu: '4', memory: '4Gi', pods: '110' },
    allocatable: { cpu: '3800m', memory: '3584Mi', pods: '110' },
    conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'AgentReady' : 'AgentNotReady', lastHeartbeatTime: heartbeat, lastTransitionTime: '2026-01-01T00:00:00Z' }],
  };
}

describe('volatile node status', () => {
  it('keeps heartbeat-only status writes off the disk, sends them to watchers, and persists real changes', async () => {
    const store = new LevelStore({ path: dir, logger: silentLogger() });
    const h = await startHarness({ store });
    const nodes = '/api/v1/nodes';
    const created = await h.call('POST', nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' } });
    expect(created.status).toBe(201);
    let cur = (await h.call('PUT', `${nodes}/pi-1/status`, { ...created.body, status: nodeStatus('2026-01-01T00:00:00Z', 'True') })).body;
    const start = cur.metadata.resourceVersion;
    const watched = readWatch(h.url, h.token, `${nodes}?watch=true&resourceVersion=${start}`, (ev) => ev.length >= 20);

    const diskBefore = store.stats().diskWrites;
    for (let i = 1; i <= 20; i++) {
      const r = await h.call('PUT', `${nodes}/pi-1/status`, { ...cur, status: nodeStatus(`2026-01-01T00:00:${String(i).padStart(2, '0')}Z`, 'True') });
      expect(r.status).toBe(200);
      expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(Number(cur.metadata.resourceVersion));
      cur = r.body;
    }
    // At most one revision-block reservation, never one write per heartbeat.
    expect(store.stats().diskWrites - diskBefore).toBeLessThanOrEqual(1);
    expect(store.stats().volatileWrites).toBeGreaterThanOrEqual(20);
    const events = await watched;
    expect(events.every((e) => e.type === 'MODIFIED')).toBe(true);
    expect(events.at(-1).object.status.conditions[0].lastHeartbeatTime).toBe('2026-01-01T00:00:20Z');

    // A condition flipping is a meaningful change: it goes to disk.
    const synced = store.stats().syncedWrites;
    const notReady = await h.call('PUT', `${nodes}/pi-1/status`, { ...cur, status: nodeStatus('2026-01-01T00:00:21Z', 'False') });
    expect(notReady.status).toBe(200);
    expect(store.stats().syncedWrites).toBe(synced + 1);
    cur = notReady.body;
    await h.call('PUT', `${nodes}/pi-1/status`, { ...cur, status: nodeStatus('2026-01-01T00:00:22Z', 'False') });
    await h.stop();

    // A clean stop flushed the last heartbeat.
    const again = new LevelStore({ path: dir, logger: silentLogger() });
    const h2 = await startHarness({ store: again });
    const n = await h2.call('GET', `${nodes}/pi-1`);
    expect(n.body.status.conditions[0]).toMatchObject({ status: 'False', lastHeartbeatTime: '2026-01-01T00:00:22Z' });
    await h2.stop();
  });
});
