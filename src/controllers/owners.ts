// Shared plumbing of the workload controllers: resource types, keys, and which owners a
// dependent's change concerns (its controller before and after, or, for an orphan, every
// owner in its namespace whose selector matches it).
import { resourceByKind, type ResourceType } from '../api/registry.js';
import { labelSelectorFromSpec, matchesLabels, type LabelSelectorSpec } from '../api/selectors.js';
import type { KObject } from '../api/types.js';
import { objectKey, type Informer } from '../client/informer.js';
import type { Expectations } from './expectations.js';
import type { OwnerIndex } from './owner-index.js';
import { controllerRef } from './pods.js';

function rt(apiVersion: string, kind: string): ResourceType {
  const r = resourceByKind(apiVersion, kind);
  if (!r) throw new Error(`kind ${kind} missing from the registry`); // a programming error, caught by any test
  return r;
}

export const podsType = rt('v1', 'Pod');
export const nodesType = rt('v1', 'Node');
export const replicaSetsType = rt('apps/v1', 'ReplicaSet');
export const deploymentsType = rt('apps/v1', 'Deployment');
export const daemonSetsType = rt('apps/v1', 'DaemonSet');

/** The informers' "ns/name" key (objectKey), under the name the workload controllers use. */
export const keyOf = objectKey;

/** Selector of a cached owner; an invalid one (the API validates, so never in practice) matches nothing. */
function selects(owner: KObject, labels: Record<string, string> | undefined): boolean {
  const spec = (owner.spec as { selector?: LabelSelectorSpec } | undefined)?.selector;
  try {
    return matchesLabels(labelSelectorFromSpec(spec), labels) && Object.keys(spec ?? {}).length > 0;
  } catch {
    return false;
  }
}

/**
 * Keys of the owners (of `kind`, in `owners`) that a change of this dependent concerns: its
 * controller now and before, or for an orphan every owner whose selector matches it now or before.
 */
export function ownersToSync(kind: string, owners: Informer, obj: KObject, old: KObject | undefined): string[] {
  const keys = new Set<string>();
  for (const o of old ? [obj, old] : [obj]) {
    const ref = controllerRef(o);
    if (ref) {
      if (ref.kind !== kind) continue;
      const owner = owners.get(o.metadata.namespace, ref.name);
      if (owner?.metadata.uid === ref.uid) keys.add(keyOf(owner));
      continue;
    }
    for (const owner of owners.values(o.metadata.namespace ?? '')) {
      if (selects(owner, o.metadata.labels)) keys.add(keyOf(owner));
    }
  }
  return [...keys];
}

/** The owner key of a dependent's controller reference, if it is of `kind` and the owner is cached with that uid. */
export function controllerKey(kind: string, owners: Informer, obj: KObject): string | undefined {
  const ref = controllerRef(obj);
  if (ref?.kind !== kind) return undefined;
  const owner = owners.get(obj.metadata.namespace, ref.name);
  return owner?.metadata.uid === ref.uid ? keyOf(owner) : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface OwnedPodsWiring {
  kind: string;
  owners: Informer;
  pods: Informer;
  index: OwnerIndex;
  expectations: Expectations;
  enqueue: (key: string) => void;
}

/**
 * Feeds a pod-owning controller (ReplicaSet, DaemonSet): owner events queue the owner, pod
 * events update the owner index, settle the expectations of the owner's own creates and deletes
 * and queue every owner the change concerns. Returns the unsubscribers.
 */
export function watchOwnedPods(w: OwnedPodsWiring): (() => void)[] {
  return [
    w.owners.on((type, obj) => {
      if (type === 'DELETED') w.expectations.forget(keyOf(obj));
      w.enqueue(keyOf(obj));
    }),
    w.pods.on((type, obj, old) => {
      w.index.handle(type, obj);
      const key = controllerKey(w.kind, w.owners, obj);
      if (key !== undefined) {
        const goneNow = type === 'DELETED' || (obj.metadata.deletionTimestamp !== undefined && old?.metadata.deletionTimestamp === undefined);
        if (goneNow) w.expectations.observeDelete(key, obj.metadata.uid ?? '');
        else if (type === 'ADDED') w.expectations.observeCreate(key);
      }
      for (const k of ownersToSync(w.kind, w.owners, obj, old)) w.enqueue(k);
    }),
  ];
}
