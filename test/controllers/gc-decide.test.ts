// The garbage collector's decisions and its ownership graph, without I/O.
import { describe, expect, it } from 'vitest';
import type { KObject, OwnerReference } from '../../src/api/types.js';
import { decideDeletingOwner, decideDependent, ownerState, withoutOwners, type OwnerView } from '../../src/controllers/gc-decide.js';
import { itemKey, OwnerGraph, parseItemKey } from '../../src/controllers/gc-graph.js';
import { resourceByKind } from '../../src/api/registry.js';

function ref(uid: string, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${uid}`, uid, ...extra };
}

function obj(uid: string, meta: Partial<KObject['metadata']> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `o-${uid}`, namespace: 'default', uid, ...meta } };
}

const deleting = '2024-01-01T00:00:00Z';

describe('decideDependent (background cascade)', () => {
  const cases: { name: string; owners: OwnerView[]; meta?: Partial<KObject['metadata']>; hasDependents?: boolean; want: ReturnType<typeof decideDependent> }[] = [
    { name: 'no owners: left alone', owners: [], want: { type: 'none' } },
    { name: 'owner present: left alone', owners: [{ ref: ref('a'), state: 'present' }], want: { type: 'none' } },
    { name: 'only owner gone: deleted in the background', owners: [{ ref: ref('a'), state: 'absent' }], want: { type: 'delete', policy: 'Background' } },
    { name: 'every owner gone: deleted', owners: [{ ref: ref('a'), state: 'absent' }, { ref: ref('b'), state: 'absent' }], want: { type: 'delete', policy: 'Background' } },
    { name: 'one owner gone, one present: the dangling reference is dropped, the object lives', owners: [{ ref: ref('a'), state: 'absent' }, { ref: ref('b'), state: 'present' }], want: { type: 'removeOwnerRefs', uids: ['a'] } },
    { name: 'owner deleting in the foreground, another present: unlinked from the deleting one', owners: [{ ref: ref('a'), state: 'waiting' }, { ref: ref('b'), state: 'present' }], want: { type: 'removeOwnerRefs', uids: ['a'] } },
    { name: 'owner deleting in the foreground: deleted', owners: [{ ref: ref('a'), state: 'waiting' }], want: { type: 'delete', policy: 'Background' } },
    { name: 'owner deleting in the foreground and the object owns others: foreground all the way down', owners: [{ ref: ref('a'), state: 'waiting' }], hasDependents: true, want: { type: 'delete', policy: 'Foreground' } },
    { name: 'already being deleted: nothing more to do', owners: [{ ref: ref('a'), state: 'absent' }], meta: { deletionTimestamp: deleting }, want: { type: 'none' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(decideDependent(obj('x', c.meta), c.owners, c.hasDependents ?? false)).toEqual(c.want);
    });
  }
});

describe('decideDeletingOwner (orphan and foreground)', () => {
  const owner = (finalizers: string[], del = true): KObject => obj('own', { finalizers, ...(del ? { deletionTimestamp: deleting } : {}) });
  const dep = (uid: string, r: OwnerReference, meta: Partial<KObject['metadata']> = {}): { key: string; obj: KObject } =>
    ({ key: `k-${uid}`, obj: obj(uid, { ownerReferences: [r], ...meta }) });
  const blocking = ref('own', { blockOwnerDeletion: true });
  const plain = ref('own');

  const cases: { name: string; owner: KObject; deps: { key: string; obj: KObject }[]; want: ReturnType<typeof decideDeletingOwner> }[] = [
    { name: 'not being deleted: nothing', owner: owner(['foregroundDeletion'], false), deps: [dep('d1', blocking)], want: { type: 'none' } },
    { name: 'deleting without GC finalizers: nothing', owner: owner(['example.com/x']), deps: [dep('d1', blocking)], want: { type: 'none' } },
    { name: 'orphan: dependents are unlinked first', owner: owner(['orphan']), deps: [dep('d1', plain), dep('d2', blocking)], want: { type: 'orphan', dependents: ['k-d1', 'k-d2'] } },
    { name: 'orphan with no dependents left: the finalizer goes', owner: owner(['orphan']), deps: [], want: { type: 'removeFinalizer', finalizer: 'orphan' } },
    { name: 'orphan wins over foreground when both are set', owner: owner(['foregroundDeletion', 'orphan']), deps: [dep('d1', blocking)], want: { type: 'orphan', dependents: ['k-d1'] } },
    { name: 'foreground: live dependents are to be deleted', owner: owner(['foregroundDeletion']), deps: [dep('d1', blocking), dep('d2', plain)], want: { type: 'deleteDependents', dependents: ['k-d1', 'k-d2'] } },
    { name: 'foreground: a blocking dependent still terminating holds the owner', owner: owner(['foregroundDeletion']), deps: [dep('d1', blocking, { deletionTimestamp: deleting })], want: { type: 'wait' } },
    { name: 'foreground: a non-blocking dependent still terminating does not hold it', owner: owner(['foregroundDeletion']), deps: [dep('d1', plain, { deletionTimestamp: deleting })], want: { type: 'removeFinalizer', finalizer: 'foregroundDeletion' } },
    { name: 'foreground: no dependents left, the finalizer goes', owner: owner(['foregroundDeletion']), deps: [], want: { type: 'removeFinalizer', finalizer: 'foregroundDeletion' } },
    { name: 'dependents of other owners do not count', owner: owner(['foregroundDeletion']), deps: [dep('d1', ref('other', { blockOwnerDeletion: true }))], want: { type: 'removeFinalizer', finalizer: 'foregroundDeletion' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(decideDeletingOwner(c.owner, c.deps)).toEqual(c.want);
    });
  }

  it('an owner deleting with foregroundDeletion is "waiting"; otherwise present', () => {
    expect(ownerState(owner(['foregroundDeletion']))).toBe('waiting');
    expect(ownerState(owner(['orphan']))).toBe('present');
    expect(ownerState(owner(['foregroundDeletion'], false))).toBe('present');
  });

  it('withoutOwners drops only the named owners', () => {
    const o = obj('x', { ownerReferences: [ref('a'), ref('b')] });
    expect(withoutOwners(o, ['a']).map((r) => r.uid)).toEqual(['b']);
  });
});

describe('OwnerGraph', () => {
  it('tracks dependents by owner uid, through changes and deletions', () => {
    const g = new OwnerGraph();
    g.upsert('k1', obj('1', { ownerReferences: [ref('own')] }));
    g.upsert('k2', obj('2', { ownerReferences: [ref('own'), ref('other')] }));
    g.upsert('kown', obj('own'));
    expect(g.dependentsOf('own').sort()).toEqual(['k1', 'k2']);
    expect(g.keyOf('own')).toBe('kown');
    // Orphaning k2 reports the owner it left.
    expect(g.upsert('k2', obj('2', { ownerReferences: [ref('other')] }))).toEqual({ ownersRemoved: ['own'], ownersChanged: true });
    expect(g.dependentsOf('own')).toEqual(['k1']);
    expect(g.upsert('k2', obj('2', { ownerReferences: [ref('other')] }))).toEqual({ ownersRemoved: [], ownersChanged: false });
    // Removing a dependent returns its owners (they may be waiting for it).
    expect(g.remove('1')).toEqual(['own']);
    expect(g.dependentsOf('own')).toEqual([]);
    expect(g.remove('unknown')).toEqual([]);
  });

  it('keys round-trip for namespaced kinds of both groups', () => {
    const rs = resourceByKind('apps/v1', 'ReplicaSet')!;
    const p = parseItemKey(itemKey(rs, 'ns1', 'web'));
    expect(p?.rt.kind).toBe('ReplicaSet');
    expect(p?.namespace).toBe('ns1');
    expect(p?.name).toBe('web');
    expect(parseItemKey(itemKey(resourceByKind('v1', 'Pod')!, 'default', 'p'))?.rt.kind).toBe('Pod');
    expect(parseItemKey('apps/nothing/ns/x')).toBeUndefined();
  });
});
