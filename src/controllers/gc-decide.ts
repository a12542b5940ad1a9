// The garbage collector's decisions, without I/O (Kubernetes' attemptToDeleteItem and
// orphan/foreground processing): given an object and what is known of its owners or
// dependents, say what to do.
import { foregroundFinalizer, orphanFinalizer } from '../api/deletion.js';
import type { KObject, OwnerReference } from '../api/types.js';

export { foregroundFinalizer, orphanFinalizer };

/**
 * present: exists with that uid; absent: verified gone (a live read, not just the cache);
 * waiting: being deleted in the foreground, waiting for its dependents to go first.
 */
export type OwnerState = 'present' | 'absent' | 'waiting';

export interface OwnerView {
  ref: OwnerReference;
  state: OwnerState;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export type DependentAction =
  | { type: 'none' }
  | { type: 'removeOwnerRefs'; uids: string[] }
  | { type: 'delete'; policy: PropagationPolicy };

export function ownerState(owner: KObject): OwnerState {
  const deleting = owner.metadata.deletionTimestamp !== undefined;
  return deleting && (owner.metadata.finalizers ?? []).includes(foregroundFinalizer) ? 'waiting' : 'present';
}

/**
 * What to do with an object that has owners. It is deleted only when no owner is present
 * (every owner gone or deleting in the foreground); if some owner is present, references to
 * the others are dropped instead, so the object lives on under its remaining owners.
 */
export function decideDependent(obj: KObject, owners: readonly OwnerView[], hasDependents: boolean): DependentAction {
  if (obj.metadata.deletionTimestamp !== undefined || owners.length === 0) return { type: 'none' };
  const solid = owners.filter((o) => o.state === 'present');
  const waiting = owners.filter((o) => o.state === 'waiting');
  if (solid.length > 0) {
    const stale = owners.filter((o) => o.state !== 'present').map((o) => o.ref.uid);
    return stale.length > 0 ? { type: 'removeOwnerRefs', uids: stale } : { type: 'none' };
  }
  // An owner deleting in the foreground waits for this object, so this object's own
  // dependents go first too: foreground all the way down.
  if (waiting.length > 0 && hasDependents) return { type: 'delete', policy: 'Foreground' };
  return { type: 'delete', policy: 'Background' };
}

export interface DependentView {
  key: string;
  obj: KObject;
}

export type OwnerAction =
  | { type: 'none' }
  /** Remove this owner's references from these dependents. */
  | { type: 'orphan'; dependents: string[] }
  /** Look at these dependents (they are to be deleted, their owner waiting for them). */
  | { type: 'deleteDependents'; dependents: string[] }
  /** Waiting for dependents already on their way out. */
  | { type: 'wait' }
  | { type: 'removeFinalizer'; finalizer: string };

/** References from a dependent to this owner. */
function refsTo(dep: KObject, ownerUid: string): OwnerReference[] {
  return (dep.metadata.ownerReferences ?? []).filter((r) => r.uid === ownerUid);
}

/**
 * What to do with an owner that is being deleted with the orphan or foregroundDeletion
 * finalizer. Orphan comes first (as in Kubernetes): dependents are unlinked, then the
 * finalizer goes. Foreground: every dependent is deleted, and the finalizer goes once no
 * dependent that blocks its owner's deletion (blockOwnerDeletion) remains.
 */
export function decideDeletingOwner(owner: KObject, dependents: readonly DependentView[]): OwnerAction {
  const uid = owner.metadata.uid;
  if (owner.metadata.deletionTimestamp === undefined || uid === undefined) return { type: 'none' };
  const finalizers = owner.metadata.finalizers ?? [];
  const linked = dependents.filter((d) => refsTo(d.obj, uid).length > 0);
  if (finalizers.includes(orphanFinalizer)) {
    return linked.length > 0 ? { type: 'orphan', dependents: linked.map((d) => d.key) } : { type: 'removeFinalizer', finalizer: orphanFinalizer };
  }
  if (!finalizers.includes(foregroundFinalizer)) return { type: 'none' };
  const pending = linked.filter((d) => d.obj.metadata.deletionTimestamp === undefined);
  if (pending.length > 0) return { type: 'deleteDependents', dependents: pending.map((d) => d.key) };
  const blocking = linked.filter((d) => refsTo(d.obj, uid).some((r) => r.blockOwnerDeletion === true));
  return blocking.length > 0 ? { type: 'wait' } : { type: 'removeFinalizer', finalizer: foregroundFinalizer };
}

/** The ownerReferences left once those to the given uids are removed. */
export function withoutOwners(obj: KObject, uids: readonly string[]): OwnerReference[] {
  return (obj.metadata.ownerReferences ?? []).filter((r) => !uids.includes(r.uid));
}
