// How a Deployment moves its ReplicaSets, one step per sync, as Kubernetes' deployment
// controller does (rolling.go, recreate.go, sync.go): pure functions from the ReplicaSets
// (as cached) to the sizes to set. The next step runs when the ReplicaSets' changes come back.
import type { Deployment, ReplicaSet } from '../api/kinds/apps.js';
import {
  availableReplicas, byCreation, maxReplicasAnnotation, desiredReplicasAnnotation, replicasOf, specReplicas, surgeLimits, isRollingUpdate,
} from './deployment-util.js';

export interface Scale {
  rs: ReplicaSet;
  replicas: number;
}

export const withReplicas = (rs: ReplicaSet, replicas: number): ReplicaSet => ({ ...rs, spec: { ...rs.spec, replicas } });

/** Applies scales to (copies of) ReplicaSets, so the next phase of a step sees them. */
export function applyScales(rss: readonly ReplicaSet[], scales: readonly Scale[]): ReplicaSet[] {
  return rss.map((rs) => {
    const s = [...scales].reverse().find((x) => x.rs.metadata.name === rs.metadata.name);
    return s ? withReplicas(rs, s.replicas) : rs;
  });
}

/** Size of the new ReplicaSet in a rolling update: up to replicas + maxSurge pods in all (NewRSNewReplicas). */
export function newReplicaSetSize(d: Deployment, all: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = replicasOf(d);
  const current = newRS.spec.replicas ?? 0;
  if (!isRollingUpdate(d)) return replicas;
  if (current >= replicas) return replicas;
  const maxTotal = replicas + surgeLimits(d).surge;
  const total = specReplicas(all);
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, replicas - current);
}

/** Size of a new ReplicaSet when it is created: what maxSurge leaves room for (all of it for Recreate). */
export function initialNewSize(d: Deployment, old: readonly ReplicaSet[]): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return replicas;
  const room = replicas + surgeLimits(d).surge - specReplicas(old);
  return Math.max(0, Math.min(room, replicas));
}

/** One rolling-update step: grow the new ReplicaSet within maxSurge, else shrink old ones within maxUnavailable. */
export function rollingStep(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): Scale[] {
  const all = [newRS, ...oldRSs];
  const size = newReplicaSetSize(d, all, newRS);
  if (size !== (newRS.spec.replicas ?? 0)) return [{ rs: newRS, replicas: size }];
  return scaleDownOld(d, newRS, oldRSs);
}

function scaleDownOld(d: Deployment, newRS: ReplicaSet, oldRSs: readonly ReplicaSet[]): Scale[] {
  const old = [...oldRSs].sort(byCreation);
  if (specReplicas(old) === 0) return [];
  const minAvailable = replicasOf(d) - surgeLimits(d).unavailable;
  const newUnavailable = (newRS.spec.replicas ?? 0) - Math.min(newRS.status?.availableReplicas ?? 0, newRS.spec.replicas ?? 0);
  const maxScaledDown = specReplicas([newRS, ...old]) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  // Unhealthy old pods go first: taking them down costs no availability.
  const scales: Scale[] = [];
  let cleaned = 0;
  for (const rs of old) {
    if (cleaned >= maxScaledDown) break;
    const size = rs.spec.replicas ?? 0;
    const unhealthy = size - Math.min(rs.status?.availableReplicas ?? 0, size);
    if (size === 0 || unhealthy === 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    scales.push({ rs, replicas: size - n });
    cleaned += n;
  }
  const after = applyScales(old, scales);
  const available = availableReplicas([newRS, ...after]);
  if (available <= minAvailable) return scales;
  const budget = available - minAvailable;
  let taken = 0;
  for (const rs of after) {
    if (taken >= budget) break;
    const size = rs.spec.replicas ?? 0;
    if (size === 0) continue;
    const n = Math.min(size, budget - taken);
    scales.push({ rs, replicas: size - n });
    taken += n;
  }
  return scales;
}

/** Recreate, first step: every old ReplicaSet to zero. */
export function recreateScaleDown(oldRSs: readonly ReplicaSet[]): Scale[] {
  return oldRSs.filter((rs) => (rs.spec.replicas ?? 0) !== 0).map((rs) => ({ rs, replicas: 0 }));
}

/** A change of spec.replicas alone: some active ReplicaSet was sized for another Deployment size. */
export function isScalingEvent(d: Deployment, all: readonly ReplicaSet[]): boolean {
  return all.some((rs) => {
    if ((rs.spec.replicas ?? 0) === 0) return false;
    const desired = rs.metadata.annotations?.[desiredReplicasAnnotation];
    return desired !== undefined && Number(desired) !== replicasOf(d);
  });
}

/**
 * Resizes for a scaling event (sync.go scale()): one active ReplicaSet takes the new size; a
 * saturated new ReplicaSet ends the old ones; mid-rollout, the change is spread over the active
 * ReplicaSets in proportion to their sizes, so the rollout's progress is kept.
 */
export function scaleForEvent(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): Scale[] {
  const replicas = replicasOf(d);
  const active = [...(newRS ? [newRS] : []), ...oldRSs].filter((rs) => (rs.spec.replicas ?? 0) > 0);
  if (active.length <= 1) {
    const target = active[0] ?? newRS ?? [...oldRSs].sort(byCreation).at(-1);
    return target && (target.spec.replicas ?? 0) !== replicas ? [{ rs: target, replicas }] : [];
  }
  if (newRS && (newRS.spec.replicas ?? 0) === replicas && (newRS.status?.availableReplicas ?? 0) >= replicas) {
    return oldRSs.filter((rs) => (rs.spec.replicas ?? 0) > 0).map((rs) => ({ rs, replicas: 0 }));
  }
  if (!isRollingUpdate(d)) return [];
  return proportional(d, active);
}

function proportional(d: Deployment, active: ReplicaSet[]): Scale[] {
  const replicas = replicasOf(d);
  const allowed = replicas > 0 ? replicas + surgeLimits(d).surge : 0;
  const toAdd = allowed - specReplicas(active);
  if (toAdd === 0) return [];
  // Larger first; ties: newer first when growing, older first when shrinking.
  const sorted = [...active].sort((a, b) => (b.spec.replicas ?? 0) - (a.spec.replicas ?? 0) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)));
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of sorted) {
    const p = proportion(d, rs, toAdd, added);
    sizes.set(rs, (rs.spec.replicas ?? 0) + p);
    added += p;
  }
  const first = sorted[0] as ReplicaSet;
  sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  return sorted.filter((rs) => sizes.get(rs) !== rs.spec.replicas).map((rs) => ({ rs, replicas: sizes.get(rs) ?? 0 }));
}

function proportion(d: Deployment, rs: ReplicaSet, toAdd: number, added: number): number {
  const size = rs.spec.replicas ?? 0;
  if (size === 0 || toAdd === added) return 0;
  const replicas = replicasOf(d);
  let fraction: number;
  if (replicas === 0) fraction = -size;
  else {
    const annotated = Number(rs.metadata.annotations?.[maxReplicasAnnotation] ?? d.status?.replicas ?? 0);
    fraction = annotated > 0 ? Math.round((size * (replicas + surgeLimits(d).surge)) / annotated) - size : 0;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}
