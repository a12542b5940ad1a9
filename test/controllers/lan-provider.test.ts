import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { LanProvider, hasNodeToken, type TokenRecords } from '../../src/controllers/cloud/lan.js';
import { cloudNodeDecision } from '../../src/controllers/cloud/provider.js';

const now = Date.parse('2024-05-01T10:00:00Z');
const records = (list: ReturnType<TokenRecords['list']>): TokenRecords => ({ list: () => list });

describe('lan provider: a device is in the fleet while a node token names it', () => {
  const table = [
    { name: 'a node token for it', tokens: [{ node: 'pi-1', roles: ['node'] }], want: true },
    { name: 'no token at all', tokens: [], want: false },
    { name: 'only another node\'s token', tokens: [{ node: 'pi-2', roles: ['node'] }], want: false },
    { name: 'an expired token', tokens: [{ node: 'pi-1', roles: ['node'], expiresAt: '2024-05-01T09:00:00Z' }], want: false },
    { name: 'an unexpired token with a TTL', tokens: [{ node: 'pi-1', roles: ['node'], expiresAt: '2024-05-02T00:00:00Z' }], want: true },
    { name: 'an expired and a fresh one (rotation)', tokens: [{ node: 'pi-1', roles: ['node'], expiresAt: '2024-05-01T09:00:00Z' }, { node: 'pi-1', roles: ['node'] }], want: true },
    { name: 'a user token that merely mentions the node is not enrollment', tokens: [{ node: 'pi-1', roles: ['viewer'] }], want: false },
  ];
  for (const t of table) it(t.name, () => expect(hasNodeToken(records(t.tokens), 'pi-1', now)).toBe(t.want));

  it('instanceExists sees a revoke within a second (the enrolled set is reused that long)', async () => {
    const list: { node?: string; roles: string[] }[] = [{ node: 'pi-1', roles: ['node'] }];
    let t = now;
    let reads = 0;
    const lan = new LanProvider({ list: () => { reads++; return list; } }, () => t);
    const node: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' } };
    expect(lan.name).toBe('lan');
    expect(await lan.instanceExists(node)).toBe(true);
    list.pop();
    t += 500;
    expect(await lan.instanceExists(node)).toBe(true);
    expect(reads).toBe(1);
    t += 500;
    expect(await lan.instanceExists(node)).toBe(false);
    expect(reads).toBe(2);
  });
});

describe('cloudNodeDecision (grace 60 s)', () => {
  const grace = 60_000;
  const table: { name: string; args: Parameters<typeof cloudNodeDecision>; want: ReturnType<typeof cloudNodeDecision> }[] = [
    { name: 'a Ready node is never deleted, even without a token', args: ['True', false, now - 3_600_000, now, grace], want: { action: 'keep' } },
    { name: 'not Ready but still enrolled: keep', args: ['Unknown', true, undefined, now, grace], want: { action: 'keep' } },
    { name: 'not Ready, gone, first seen now: wait the grace', args: ['Unknown', false, undefined, now, grace], want: { action: 'wait', missingSinceMs: now, afterMs: grace } },
    { name: 'gone for part of the grace: wait the rest', args: ['False', false, now - 45_000, now, grace], want: { action: 'wait', missingSinceMs: now - 45_000, afterMs: 15_000 } },
    { name: 'gone past the grace: delete', args: ['Unknown', false, now - 60_000, now, grace], want: { action: 'delete', missingSinceMs: now - 60_000 } },
    { name: 'no Ready condition yet and gone: counts as not Ready', args: [undefined, false, now - 61_000, now, grace], want: { action: 'delete', missingSinceMs: now - 61_000 } },
  ];
  for (const t of table) it(t.name, () => expect(cloudNodeDecision(...t.args)).toEqual(t.want));
});
