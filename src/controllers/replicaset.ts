// The ReplicaSet's decision, without I/O: given the ReplicaSet and the pods of its namespace
// (from the cache), which pods to adopt or release, how many to create, which to delete, and
// the status to report. The controller around it (replicaset-controller.ts) only performs it.
import type { ReplicaSet, ReplicaSetStatus } from '../api/kinds/apps.js';
import type { Pod } from '../api/kinds/pod.js';
import type { Condition } from '../api/meta.js';
import { labelSelectorFromSpec } from '../api/selectors.js';
import type { KObject } from '../api/types.js';
import { claim } from './claim.js';
import { stableJson } from './hash.js';
import { deletionOrder, isActive, isAvailable, isReady, msUntilAvailable } from './pods.js';

/** Kubernetes creates at most this many pods per sync, so a typo like replicas: 50000 does not flood the API at once. */
export const burstReplicas = 500;

export interface ReplicaSetPlan {
  adopt: Pod[];
  release: Pod[];
  /** Pods to create from the template. */
  create: number;
  delete: Pod[];
  status: ReplicaSetStatus;
  /** Look again then (a ready pod becomes available after minReadySeconds). */
  requeueAfterMs?: number;
}

export interface ReplicaSetInput {
  rs: ReplicaSet;
  /** Every pod of the ReplicaSet's namespace (the claim decides which are its own). */
  pods: readonly Pod[];
  now: number;
  /** False while the ReplicaSet's own creates/deletes are still on their way through the informer. */
  expectationsSatisfied: boolean;
  /** Why the last create/delete failed, reported as the ReplicaFailure condition. */
  failure?: { reason: string; message: string };
}

export function reconcileReplicaSet(input: ReplicaSetInput): ReplicaSetPlan {
  const { rs, now } = input;
  const selector = labelSelectorFromSpec(rs.spec.selector);
  const claimed = claim(rs as unknown as KObject, selector, input.pods); // the same JSON, typed two ways
  const active = claimed.owned.filter(isActive);
  const plan: ReplicaSetPlan = { adopt: claimed.adopt, release: claimed.release, create: 0, delete: [], status: replicaSetStatus(rs, active, now, input.failure) };
  if (input.expectationsSatisfied && rs.metadata.deletionTimestamp === undefined) {
    const diff = active.length - (rs.spec.replicas ?? 1);
    if (diff < 0) plan.create = Math.min(-diff, burstReplicas);
    else if (diff > 0) plan.delete = deletionOrder(active).slice(0, Math.min(diff, burstReplicas));
  }
  const waits = active.map((p) => msUntilAvailable(p, rs.spec.minReadySeconds ?? 0, now)).filter((ms): ms is number => ms !== undefined);
  if (waits.length > 0) plan.requeueAfterMs = Math.min(...waits);
  return plan;
}

export function replicaSetStatus(rs: ReplicaSet, active: readonly Pod[], now: number, failure?: { reason: string; message: string }): ReplicaSetStatus {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const fullyLabeled = active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v));
  const minReady = rs.spec.minReadySeconds ?? 0;
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled.length,
    readyReplicas: active.filter(isReady).length,
    availableReplicas: active.filter((p) => isAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  const conditions = failureConditions(rs.status?.conditions ?? [], failure, now);
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** ReplicaFailure is set while creates/deletes fail and removed once they work again. */
function failureConditions(old: readonly Condition[], failure: { reason: string; message: string } | undefined, now: number): Condition[] {
  const others = old.filter((c) => c.type !== 'ReplicaFailure');
  if (!failure) return others;
  const prev = old.find((c) => c.type === 'ReplicaFailure');
  const lastTransitionTime = prev?.status === 'True' ? prev.lastTransitionTime : new Date(now).toISOString();
  return [...others, { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message, ...(lastTransitionTime ? { lastTransitionTime } : {}) }];
}

/** Whether a status write is needed (the API would ignore an equal one, but a write costs a round trip). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return stableJson(a ?? {}) === stableJson(b ?? {});
}
