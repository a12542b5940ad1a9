// The API in process, without a socket: the same app, driven by fastify's inject.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiServer } from '../../src/apiserver/server.js';
import { MemoryStore } from '../../src/store/memory.js';
import { silentLogger } from '../../src/log/logger.js';

const store = new MemoryStore();
const server = new ApiServer({ store, logger: silentLogger(), processMetrics: false });
let app: FastifyInstance;
let auth: Record<string, string>;

beforeAll(async () => {
  await store.start();
  app = await server.build();
  auth = { authorization: `Bearer ${await server.tokens.create({ user: 'admin', roles: ['admin'] })}` };
});
afterAll(async () => { await server.stop(); await store.stop(); });

describe('API in process', () => {
  it('creates, reads, conflicts and deletes without a network', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inproc' }, data: { a: '1' } };
    const created = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/configmaps', headers: auth, payload: cm });
    expect(created.statusCode).toBe(201);
    const v1 = created.json();
    const got = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/inproc', headers: auth });
    expect(got.json()).toEqual(v1);
    const upd = await app.inject({ method: 'PUT', url: '/api/v1/namespaces/default/configmaps/inproc', headers: auth, payload: { ...v1, data: { a: '2' } } });
    expect(upd.statusCode).toBe(200);
    const stale = await app.inject({ method: 'PUT', url: '/api/v1/namespaces/default/configmaps/inproc', headers: auth, payload: { ...v1, data: { a: '3' } } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ kind: 'Status', reason: 'Conflict' });
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/configmaps/inproc', headers: auth });
    expect(del.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/inproc', headers: auth })).statusCode).toBe(404);
  });

  it('the same registry serves in-process callers directly', async () => {
    const { resourceByName } = await import('../../src/api/registry.js');
    const pods = resourceByName('po')!;
    const r = await server.resources.create(pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'direct' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    expect(r.object.spec).toMatchObject({ restartPolicy: 'Always' });
    const listed = await app.inject({ method: 'GET', url: '/api/v1/pods?fieldSelector=metadata.name%3Ddirect', headers: auth });
    expect(listed.json().items).toHaveLength(1);
  });
});
