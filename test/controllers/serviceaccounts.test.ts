// Service accounts and their token Secrets: the decisions, without I/O.
import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { missingServiceAccounts } from '../../src/controllers/serviceaccounts.js';
import { desiredSecretRefs, newServiceAccountToken, planTokens, tokenSecretFor } from '../../src/controllers/tokens.js';
import { tokenEntryOf } from '../../src/apiserver/sa-tokens.js';

function ns(name: string, extra: Partial<KObject> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' }, ...extra };
}

const sa: KObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'team', uid: 'sa-uid' } };

function tokenSecret(name: string, uid = 'sa-uid', account = 'robot'): KObject {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { name, namespace: 'team', annotations: { 'kubernetes.io/service-account.name': account, 'kubernetes.io/service-account.uid': uid } },
    data: { token: Buffer.from('sa-1.x').toString('base64') },
  };
}

describe('missingServiceAccounts', () => {
  const cases: { name: string; ns: KObject; existing: string[]; want: string[] }[] = [
    { name: 'a new namespace gets default', ns: ns('team'), existing: [], want: ['default'] },
    { name: 'default already there', ns: ns('team'), existing: ['default', 'robot'], want: [] },
    { name: 'other accounts do not count', ns: ns('team'), existing: ['robot'], want: ['default'] },
    { name: 'a terminating namespace gets nothing', ns: ns('team', { status: { phase: 'Terminating' } }), existing: [], want: [] },
    { name: 'a namespace marked for deletion gets nothing', ns: { ...ns('team'), metadata: { name: 'team', deletionTimestamp: '2024-01-01T00:00:00Z' } }, existing: [], want: [] },
  ];
  for (const c of cases) it(c.name, () => { expect(missingServiceAccounts(c.ns, new Set(c.existing))).toEqual(c.want); });
});

describe('planTokens', () => {
  it('an account without a token Secret gets one', () => {
    expect(planTokens(sa, [tokenSecret('x', 'sa-uid', 'someone-else')])).toEqual({ deleteSecrets: [], create: true, valid: [] });
  });
  it('an account with its token Secret needs nothing', () => {
    expect(planTokens(sa, [tokenSecret('robot-token-abcde')])).toEqual({ deleteSecrets: [], create: false, valid: ['robot-token-abcde'] });
  });
  it('a Secret left by an earlier account of the same name is deleted and a new one made', () => {
    expect(planTokens(sa, [tokenSecret('robot-token-old', 'old-uid')])).toEqual({ deleteSecrets: ['robot-token-old'], create: true, valid: [] });
  });
});

describe('desiredSecretRefs', () => {
  const withRefs = (names: string[]): KObject => ({ ...sa, secrets: names.map((name) => ({ name })) });
  const cases: { name: string; refs: string[]; valid: string[]; tokens: string[]; want: string[] | undefined }[] = [
    { name: 'names a new token Secret', refs: [], valid: ['robot-token-a'], tokens: ['robot-token-a'], want: ['robot-token-a'] },
    { name: 'unchanged: no write', refs: ['robot-token-a'], valid: ['robot-token-a'], tokens: ['robot-token-a'], want: undefined },
    { name: 'drops a token Secret that is gone, keeps a user\'s Secret', refs: ['robot-token-gone', 'pull-secret'], valid: ['robot-token-b'], tokens: ['robot-token-b'], want: ['pull-secret', 'robot-token-b'] },
    { name: 'drops a token Secret of another account', refs: ['other-token'], valid: ['robot-token-b'], tokens: ['other-token', 'robot-token-b'], want: ['robot-token-b'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = desiredSecretRefs(withRefs(c.refs), c.valid, new Set(c.tokens));
      expect(got?.map((r) => r.name)).toEqual(c.want);
    });
  }
});

describe('token Secrets', () => {
  it('are owned by the account, annotated as Kubernetes does, and index by their token id', () => {
    const token = newServiceAccountToken();
    expect(token).toMatch(/^sa-[0-9a-f]{16}\.[0-9a-f]{32}$/);
    const s = tokenSecretFor(sa, token);
    expect(s).toMatchObject({
      type: 'kubernetes.io/service-account-token',
      metadata: {
        generateName: 'robot-token-', namespace: 'team',
        annotations: { 'kubernetes.io/service-account.name': 'robot', 'kubernetes.io/service-account.uid': 'sa-uid' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ServiceAccount', name: 'robot', uid: 'sa-uid' }],
      },
    });
    const data = s.data as Record<string, string>;
    expect(Buffer.from(data.token!, 'base64').toString()).toBe(token);
    expect(Buffer.from(data.namespace!, 'base64').toString()).toBe('team');
    const entry = tokenEntryOf(s);
    expect(entry?.[0]).toBe(token.slice(0, token.indexOf('.')));
    expect(entry?.[1]).toMatchObject({ namespace: 'team', account: 'robot', accountUid: 'sa-uid' });
    // The index holds a hash, never the token.
    expect(JSON.stringify(entry)).not.toContain(token.split('.')[1]);
    expect(tokenEntryOf({ ...s, type: 'Opaque' })).toBeUndefined();
  });
});
