// Service-account tokens over real HTTP: every namespace gets a `default` account with a token
// Secret; the token reads its own namespace only (never Secrets), and stops working when the
// account is deleted (its Secret goes with it, through the garbage collector).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/poll.js';
import { startWithControllers, type ClusterHarness } from '../controllers/manager-harness.js';

let h: ClusterHarness;
beforeAll(async () => { h = await startWithControllers(['serviceaccount', 'serviceaccount-token', 'garbage-collector', 'namespace']); });
afterAll(async () => { await h?.stop(); });

/** Waits for the account's token Secret and returns the token and the Secret's name. */
async function tokenOf(ns: string, account: string): Promise<{ token: string; secret: string }> {
  const secret = await until(`token secret of ${ns}/${account}`, async () => {
    const sa = await h.getBody(`/api/v1/namespaces/${ns}/serviceaccounts/${account}`);
    const name = sa?.secrets?.[0]?.name as string | undefined;
    return name === undefined ? undefined : h.getBody(`/api/v1/namespaces/${ns}/secrets/${name}`);
  });
  return { token: Buffer.from(secret.data.token, 'base64').toString(), secret: secret.metadata.name };
}

describe('service accounts and tokens', () => {
  it('every namespace gets a default account with a token Secret of the Kubernetes shape', async () => {
    expect((await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })).status).toBe(201);
    const { secret } = await tokenOf('team', 'default');
    const s = await h.getBody(`/api/v1/namespaces/team/secrets/${secret}`);
    const sa = await h.getBody('/api/v1/namespaces/team/serviceaccounts/default');
    expect(s).toMatchObject({
      type: 'kubernetes.io/service-account-token',
      metadata: { annotations: { 'kubernetes.io/service-account.name': 'default', 'kubernetes.io/service-account.uid': sa.metadata.uid }, ownerReferences: [{ kind: 'ServiceAccount', name: 'default', uid: sa.metadata.uid }] },
    });
    expect(Buffer.from(s.data.namespace, 'base64').toString()).toBe('team');
    // The system namespaces have theirs too.
    await tokenOf('default', 'default');
  });

  it('a token reads its own namespace, is refused elsewhere and on Secrets (403 naming user and resource)', async () => {
    const { token } = await tokenOf('team', 'default');
    const as = { token };
    expect((await h.call('GET', '/api/v1/namespaces/team/pods', undefined, as)).status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces/team/serviceaccounts/default', undefined, as)).status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces/team', undefined, as)).status).toBe(200);

    const other = await h.call('GET', '/api/v1/namespaces/default/pods', undefined, as);
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
    expect(other.body.message).toContain('User "system:serviceaccount:team:default" cannot list resource "pods" in the namespace "default"');

    const secrets = await h.call('GET', '/api/v1/namespaces/team/secrets', undefined, as);
    expect(secrets.status).toBe(403);
    expect(secrets.body.message).toContain('cannot list resource "secrets"');
    // Cluster-wide reads and writes are refused too: a viewer of its namespace only.
    expect((await h.call('GET', '/api/v1/pods', undefined, as)).status).toBe(403);
    expect((await h.call('POST', '/api/v1/namespaces/team/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, as)).status).toBe(403);
  });

  it('an account annotated as editor writes its namespace, but never Secrets', async () => {
    const r = await h.call('POST', '/api/v1/namespaces/team/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', annotations: { 'bramble.dev/service-account-role': 'editor' } } });
    expect(r.status).toBe(201);
    const { token } = await tokenOf('team', 'deployer');
    const as = { token };
    expect((await h.call('POST', '/api/v1/namespaces/team/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-sa' } }, as)).status).toBe(201);
    expect((await h.call('POST', '/api/v1/namespaces/team/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'nope' } }, as)).status).toBe(403);
    expect((await h.call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-sa' } }, as)).status).toBe(403);
  });

  it('after the account is deleted its token is refused (401) and its Secret is collected', async () => {
    expect((await h.call('POST', '/api/v1/namespaces/team/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } })).status).toBe(201);
    const { token, secret } = await tokenOf('team', 'robot');
    expect((await h.call('GET', '/api/v1/namespaces/team/pods', undefined, { token })).status).toBe(200);
    expect((await h.call('DELETE', '/api/v1/namespaces/team/serviceaccounts/robot')).status).toBe(200);
    await until('token refused', async () => ((await h.call('GET', '/api/v1/namespaces/team/pods', undefined, { token })).status === 401 ? true : undefined));
    await until('token secret collected', async () => ((await h.getBody(`/api/v1/namespaces/team/secrets/${secret}`)) === undefined ? true : undefined));
    // A new account of the same name is a new identity: the old token stays refused.
    expect((await h.call('POST', '/api/v1/namespaces/team/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } })).status).toBe(201);
    await tokenOf('team', 'robot');
    expect((await h.call('GET', '/api/v1/namespaces/team/pods', undefined, { token })).status).toBe(401);
  });

  it('a deleted namespace goes with its accounts and tokens (nothing is made again while it terminates)', async () => {
    expect((await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'short-lived' } })).status).toBe(201);
    const { token } = await tokenOf('short-lived', 'default');
    expect((await h.call('DELETE', '/api/v1/namespaces/short-lived')).status).toBe(202);
    await until('namespace gone', async () => ((await h.getBody('/api/v1/namespaces/short-lived')) === undefined ? true : undefined));
    expect((await h.call('GET', '/api/v1/namespaces/short-lived/pods', undefined, { token })).status).toBe(401);
  });

  it('a tampered token is refused', async () => {
    const { token } = await tokenOf('team', 'default');
    const tampered = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
    expect((await h.call('GET', '/api/v1/namespaces/team/pods', undefined, { token: tampered })).status).toBe(401);
  });
});
