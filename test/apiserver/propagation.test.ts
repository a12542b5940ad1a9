// DELETE with propagationPolicy: the API server marks the owner with the finalizer the garbage
// collector acts on (Foreground, Orphan); Background (and no policy) deletes at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configMap, startHarness, type Harness } from './harness.js';

let h: Harness;
const cms = '/api/v1/namespaces/default/configmaps';
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.stop(); });

describe('propagationPolicy on DELETE', () => {
  it('Foreground: marked with deletionTimestamp and the foregroundDeletion finalizer (202)', async () => {
    await h.call('POST', cms, configMap('fg'));
    const r = await h.call('DELETE', `${cms}/fg?propagationPolicy=Foreground`);
    expect(r.status).toBe(202);
    expect(r.body.metadata.deletionTimestamp).toBeDefined();
    expect(r.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Still readable until the collector removes the finalizer; removing it completes the deletion.
    expect((await h.call('GET', `${cms}/fg`)).status).toBe(200);
    expect((await h.call('PATCH', `${cms}/fg`, { metadata: { finalizers: null } })).status).toBe(200);
    expect((await h.call('GET', `${cms}/fg`)).status).toBe(404);
  });

  it('Orphan (also as a DeleteOptions body, or orphanDependents: true): the orphan finalizer, next to the user\'s', async () => {
    await h.call('POST', cms, configMap('or', { a: '1' }, { finalizers: ['example.com/hold'] }));
    const r = await h.call('DELETE', `${cms}/or`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    expect(r.status).toBe(202);
    expect(r.body.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
    await h.call('POST', cms, configMap('or2'));
    const r2 = await h.call('DELETE', `${cms}/or2`, { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: true });
    expect(r2.body.metadata.finalizers).toEqual(['orphan']);
  });

  it('a later delete switches the policy; Background removes both GC finalizers and completes the deletion', async () => {
    await h.call('POST', cms, configMap('sw'));
    await h.call('DELETE', `${cms}/sw?propagationPolicy=Orphan`);
    const fg = await h.call('DELETE', `${cms}/sw?propagationPolicy=Foreground`);
    expect(fg.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    // No policy keeps what the earlier delete asked for.
    const again = await h.call('DELETE', `${cms}/sw`);
    expect(again.status).toBe(202);
    expect(again.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    const bg = await h.call('DELETE', `${cms}/sw?propagationPolicy=Background`);
    expect(bg.status).toBe(200);
    expect((await h.call('GET', `${cms}/sw`)).status).toBe(404);
  });

  it('Background and no policy delete at once, as before; a bad policy is a 400', async () => {
    await h.call('POST', cms, configMap('bg'));
    expect((await h.call('DELETE', `${cms}/bg?propagationPolicy=Background`)).status).toBe(200);
    await h.call('POST', cms, configMap('np'));
    expect((await h.call('DELETE', `${cms}/np`)).status).toBe(200);
    await h.call('POST', cms, configMap('bad'));
    const r = await h.call('DELETE', `${cms}/bad?propagationPolicy=Sometimes`);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/propagationPolicy/);
  });

  it('a running pod deleted in the foreground keeps its grace period and gains the finalizer', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fgpod' }, spec: { nodeName: 'pi-1', containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    await h.call('POST', '/api/v1/namespaces/default/pods', pod);
    const r = await h.call('DELETE', '/api/v1/namespaces/default/pods/fgpod?propagationPolicy=Foreground');
    expect(r.status).toBe(202);
    expect(r.body.metadata).toMatchObject({ finalizers: ['foregroundDeletion'], deletionGracePeriodSeconds: 30 });
    // The node's final zero-grace delete leaves it for the collector, which removes the finalizer.
    expect((await h.call('DELETE', '/api/v1/namespaces/default/pods/fgpod?gracePeriodSeconds=0')).status).toBe(202);
    expect((await h.call('PATCH', '/api/v1/namespaces/default/pods/fgpod', { metadata: { finalizers: null } })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces/default/pods/fgpod')).status).toBe(404);
  });
});
