import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/client/client.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import { startHarness, pod, type Harness } from './harness.js';

const podsPath = '/api/v1/namespaces/default/pods';
const pods = resourceByKind('v1', 'Pod') as ResourceType;
const binding = (name: string, node: string) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } });

describe('pods/{name}/binding', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('binds once: spec.nodeName and PodScheduled=True in one write; a second bind is 409', async () => {
    await h.call('POST', podsPath, pod('b1'));
    const r = await h.call('POST', `${podsPath}/b1/binding`, binding('b1', 'pi-1'));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Success' });
    const got = await h.call('GET', `${podsPath}/b1`);
    expect(got.body.spec.nodeName).toBe('pi-1');
    expect(got.body.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await h.call('POST', `${podsPath}/b1/binding`, binding('b1', 'pi-2'));
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('already assigned to node "pi-1"');
  });

  it('404 for a missing pod, 400/422 for a malformed binding', async () => {
    expect((await h.call('POST', `${podsPath}/nope/binding`, binding('nope', 'pi-1'))).status).toBe(404);
    await h.call('POST', podsPath, pod('b2'));
    expect((await h.call('POST', `${podsPath}/b2/binding`, binding('other', 'pi-1'))).status).toBe(400);
    expect((await h.call('POST', `${podsPath}/b2/binding`, { kind: 'Binding', metadata: { name: 'b2' }, target: {} })).status).toBe(422);
    expect((await h.call('POST', `${podsPath}/b2/binding`, { kind: 'Binding', metadata: { name: 'b2' }, target: { kind: 'Pod', name: 'x' } })).status).toBe(422);
    expect((await h.call('POST', `${podsPath}/b2/binding`, binding('b2', 'Not_A_Node'))).status).toBe(422);
  });

  it('only admins may bind', async () => {
    await h.call('POST', podsPath, pod('b3'));
    const viewer = await h.server.tokens.create({ user: 'v', roles: ['viewer'] });
    const node = await h.server.tokens.create({ user: 'system:node:pi-1', roles: ['node'], node: 'pi-1' });
    expect((await h.call('POST', `${podsPath}/b3/binding`, binding('b3', 'pi-1'), { token: viewer })).status).toBe(403);
    expect((await h.call('POST', `${podsPath}/b3/binding`, binding('b3', 'pi-1'), { token: node })).status).toBe(403);
  });

  it('ApiClient.bind and LocalApiClient.bind', async () => {
    await h.call('POST', podsPath, pod('b4'));
    await h.call('POST', podsPath, pod('b5'));
    await new ApiClient({ server: h.url, token: h.token }).bind('default', 'b4', 'pi-1');
    const local = new LocalApiClient(h.server.resources, h.store);
    await local.bind('default', 'b5', 'pi-2');
    expect(((await local.get(pods, 'default', 'b4')).spec as { nodeName: string }).nodeName).toBe('pi-1');
    expect(((await local.get(pods, 'default', 'b5')).spec as { nodeName: string }).nodeName).toBe('pi-2');
    await expect(local.bind('default', 'b5', 'pi-3')).rejects.toMatchObject({ code: 409 });
  });

  it('a pod being deleted cannot be bound', async () => {
    await h.call('POST', podsPath, pod('b6', { metadata: { name: 'b6', finalizers: ['example.com/hold'] } }));
    await h.call('DELETE', `${podsPath}/b6`);
    expect((await h.call('POST', `${podsPath}/b6/binding`, binding('b6', 'pi-1'))).status).toBe(409);
  });
});
