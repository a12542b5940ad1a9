import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, readWatch, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ historyLimit: 50, watchLimits: { bookmarkIntervalMs: 100, maxBufferedBytes: 64 * 1024 } }); });
afterAll(async () => { await h.stop(); });

const cms = '/api/v1/namespaces/default/configmaps';

describe('watch', () => {
  it('streams ADDED, MODIFIED, DELETED in order from a resourceVersion', async () => {
    const start = (await h.call('GET', cms)).body.metadata.resourceVersion;
    const events = readWatch(h.url, h.token, `${cms}?watch=true&resourceVersion=${start}`, (ev) => ev.length >= 3);
    const c = await h.call('POST', cms, configMap('w1'));
    await h.call('PATCH', `${cms}/w1`, { data: { a: '2' } });
    await h.call('DELETE', `${cms}/w1`);
    const got = await events;
    expect(got.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(got[0].object.metadata.uid).toBe(c.body.metadata.uid);
    expect(got[1].object.data.a).toBe('2');
    const rvs = got.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  });

  it('without a resourceVersion starts with the current objects as ADDED', async () => {
    await h.call('POST', cms, configMap('w-initial'));
    const got = await readWatch(h.url, h.token, `${cms}?watch=1`, (ev) => ev.some((e) => e.object.metadata.name === 'w-initial'));
    expect(got.find((e) => e.object.metadata.name === 'w-initial').type).toBe('ADDED');
  });

  it('resumes from a past revision, replaying what was missed', async () => {
    const r1 = await h.call('POST', cms, configMap('w-past-1'));
    await h.call('POST', cms, configMap('w-past-2'));
    const got = await readWatch(h.url, h.token, `${cms}?watch=true&resourceVersion=${r1.body.metadata.resourceVersion}`, (ev) => ev.length >= 1);
    expect(got[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'w-past-2' } } });
  });

  it('follows label selectors: leaving the selection is a DELETED, entering an ADDED', async () => {
    const start = (await h.call('GET', cms)).body.metadata.resourceVersion;
    const events = readWatch(h.url, h.token, `${cms}?watch=true&labelSelector=tier%3Dfront&resourceVersion=${start}`, (ev) => ev.length >= 3);
    await h.call('POST', cms, configMap('w-sel', {}, { labels: { tier: 'back' } }));
    await h.call('PATCH', `${cms}/w-sel`, { metadata: { labels: { tier: 'front' } } });
    await h.call('PATCH', `${cms}/w-sel`, { data: { a: 'x' } });
    await h.call('PATCH', `${cms}/w-sel`, { metadata: { labels: { tier: 'back' } } });
    const got = await events;
    expect(got.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('sends BOOKMARK events when asked', async () => {
    const got = await readWatch(h.url, h.token, `${cms}?watch=true&allowWatchBookmarks=true&resourceVersion=${(await h.call('GET', cms)).body.metadata.resourceVersion}`, (ev) => ev.some((e) => e.type === 'BOOKMARK'));
    const b = got.find((e) => e.type === 'BOOKMARK');
    expect(b.object.kind).toBe('ConfigMap');
    expect(Number(b.object.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it('ends the stream after timeoutSeconds', async () => {
    const res = await fetch(`${h.url}${cms}?watch=true&timeoutSeconds=1&resourceVersion=${(await h.call('GET', cms)).body.metadata.resourceVersion}`, { headers: { authorization: `Bearer ${h.token}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(''); // nothing happened; the server closed it
  });

  it('a revision older than the kept history gets an ERROR event with 410 Expired', async () => {
    const first = await h.call('POST', cms, configMap('w-old'));
    for (let i = 0; i < 80; i++) await h.call('PATCH', `${cms}/w-old`, { data: { i: String(i) } });
    await h.store.compact(Number((await h.call('GET', cms)).body.metadata.resourceVersion) - 10);
    const got = await readWatch(h.url, h.token, `${cms}?watch=true&resourceVersion=${first.body.metadata.resourceVersion}`, (ev) => ev.length >= 1);
    expect(got[0].type).toBe('ERROR');
    expect(got[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('drops a watcher that does not read, without stalling writers or other watchers', async () => {
    const start = (await h.call('GET', cms)).body.metadata.resourceVersion;
    // A client that connects and never reads its socket.
    const stuck = http.get(`${h.url}${cms}?watch=true&resourceVersion=${start}`, { headers: { authorization: `Bearer ${h.token}` } }, (res) => res.pause());
    stuck.on('error', () => { /* the server drops it */ });
    await new Promise((r) => setTimeout(r, 100));
    const n = 300;
    const healthy = readWatch(h.url, h.token, `${cms}?watch=true&resourceVersion=${start}`, (ev) => ev.filter((e) => e.object.metadata?.name?.startsWith('w-flood')).length >= n);
    const blob = 'y'.repeat(32 * 1024);
    for (let i = 0; i < n; i++) {
      const r = await h.call('POST', cms, configMap(`w-flood-${i}`, { blob }));
      expect(r.status).toBe(201);
    }
    const got = await healthy;
    expect(got.filter((e) => e.object.metadata?.name?.startsWith('w-flood'))).toHaveLength(n);
    const metrics = (await h.call('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/bramble_apiserver_watch_closed_total\{reason="slow"\} [1-9]/);
    stuck.destroy();
  });
});
