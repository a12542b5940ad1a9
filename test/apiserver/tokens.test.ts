// /apis/bramble.dev/v1/tokens: mint, list, revoke; admin only; the secret shown once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const path = '/apis/bramble.dev/v1/tokens';
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.stop(); });

describe('tokens API', () => {
  it('mints a node token shown once, which then authenticates as that node', async () => {
    const r = await h.call('POST', path, { node: 'pi-1', ttlSeconds: 3600 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'Token', apiVersion: 'bramble.dev/v1', user: 'system:node:pi-1', roles: ['node'], node: 'pi-1' });
    expect(r.body.token).toMatch(new RegExp(`^${r.body.id}\\.[0-9a-f]{32}$`));
    expect(Date.parse(r.body.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(h.server.tokens.authenticate(r.body.token)).toEqual({ name: 'system:node:pi-1', roles: ['node'], node: 'pi-1' });
    // A node token may not manage tokens, nor read them.
    expect((await h.call('GET', path, undefined, { token: r.body.token })).status).toBe(403);
  });

  it('mints a viewer token for a user; lists without secrets or hashes; revokes', async () => {
    const r = await h.call('POST', path, { roles: ['viewer'], user: 'alice' });
    expect(r.status).toBe(201);
    const list = await h.call('GET', path);
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('TokenList');
    const alice = list.body.items.find((t: any) => t.id === r.body.id);
    expect(alice).toMatchObject({ kind: 'Token', user: 'alice', roles: ['viewer'] });
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(r.body.token.split('.')[1]);
    expect(text).not.toMatch(/"hash"|"token"/);
    // Viewers read everything but secrets — and tokens.
    expect((await h.call('GET', '/api/v1/namespaces', undefined, { token: r.body.token })).status).toBe(200);
    expect((await h.call('GET', path, undefined, { token: r.body.token })).status).toBe(403);
    const del = await h.call('DELETE', `${path}/${r.body.id}`);
    expect(del.status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces', undefined, { token: r.body.token })).status).toBe(401);
    expect((await h.call('DELETE', `${path}/${r.body.id}`)).body).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
  });

  it('refuses bad requests with Status errors naming the field', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ node: 'Bad_Name' }, 422, /node/],
      [{ roles: ['node'], user: 'x' }, 422, /node/],
      [{ roles: ['root'], user: 'x' }, 422, /roles/],
      [{ roles: ['viewer'] }, 422, /user/],
      [{ node: 'pi-1', ttlSeconds: -5 }, 422, /ttlSeconds/],
      [{ node: 'pi-1', colour: 'red' }, 400, /unknown field "colour"/],
      [[1, 2], 400, /JSON object/],
    ];
    for (const [body, code, re] of cases) {
      const r = await h.call('POST', path, body);
      expect(r.status, JSON.stringify(body)).toBe(code);
      expect(r.body.kind).toBe('Status');
      expect(r.body.message).toMatch(re);
    }
    expect((await h.call('POST', path, { node: 'pi-1' }, { token: null })).status).toBe(401);
  });
});
