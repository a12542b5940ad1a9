// The Deployment's decision, without I/O: from the Deployment and the ReplicaSets of its
// namespace (cached), what to adopt/release, create, resize, annotate and prune, and the status.
// One step per sync; the controller performs it and the ReplicaSets' changes trigger the next.
import type { Deployment, DeploymentStatus, ReplicaSet } from '../api/kinds/apps.js';
import type { Pod } from '../api/kinds/pod.js';
import { podTemplateHashLabel, revisionAnnotation } from '../api/annotations.js';
import { labelSelectorFromSpec } from '../api/selectors.js';
import type { KObject } from '../api/types.js';
import { claim } from './claim.js';
import { applyScales, initialNewSize, isScalingEvent, recreateScaleDown, rollingStep, scaleForEvent, type Scale } from './deployment-rollout.js';
import { deploymentStatus } from './deployment-status.js';
import {
  byCreation, copiedAnnotations, maxRevision, newReplicaSetFor, replicaAnnotations, replicasOf, revisionHistoryAnnotation, revisionOf,
} from './deployment-util.js';
import { sameTemplate } from './hash.js';
import { controllerRef } from './pods.js';

export interface DeploymentInput {
  d: Deployment;
  /** Every ReplicaSet of the Deployment's namespace. */
  replicaSets: readonly ReplicaSet[];
  /** Pods of the namespace: Recreate waits until the old ones are gone. */
  pods: readonly Pod[];
  now: number;
}

/** A ReplicaSet write: its size and the annotations it must carry (revision, desired/max replicas). */
export interface ReplicaSetUpdate {
  rs: ReplicaSet;
  replicas: number;
  annotations: Record<string, string>;
  minReadySeconds?: number;
}

export interface DeploymentPlan {
  adopt: ReplicaSet[];
  release: ReplicaSet[];
  create?: ReplicaSet;
  updates: ReplicaSetUpdate[];
  /** Old ReplicaSets beyond revisionHistoryLimit. */
  prune: ReplicaSet[];
  /** The Deployment's revision annotation, when it must change. */
  revision?: string;
  status: DeploymentStatus;
  requeueAfterMs?: number;
}

export function reconcileDeployment(input: DeploymentInput): DeploymentPlan {
  const { d } = input;
  const claimed = claim(d as unknown as KObject, labelSelectorFromSpec(d.spec.selector), input.replicaSets);
  const owned = claimed.owned;
  const existingNew = owned.filter((rs) => sameTemplate(rs.spec.template, d.spec.template, podTemplateHashLabel)).sort(byCreation)[0];
  const old = owned.filter((rs) => rs !== existingNew);
  const base = { adopt: claimed.adopt, release: claimed.release, updates: [] as ReplicaSetUpdate[], prune: [] as ReplicaSet[] };
  if (d.metadata.deletionTimestamp !== undefined) return { ...base, ...deploymentStatus({ d, all: owned, newRS: existingNew, now: input.now, note: 'none' }) };

  const step = planStep(input, existingNew, old);
  if (step.collision) {
    const status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
    return { ...base, status };
  }
  const updates = toUpdates(d, step.scales, step.newRS, maxRevision(old) + 1, existingNew);
  const all = applyScales(step.newRS ? [step.newRS, ...old] : old, step.scales);
  const newRS = all.find((rs) => rs.metadata.name === step.newRS?.metadata.name);
  const done = step.scales.length === 0 && step.create === undefined;
  const prune = done && (d.spec.paused || complete(d, newRS, old)) ? pruneHistory(d, old) : [];
  const { status, requeueAfterMs } = deploymentStatus({ d, all, newRS, now: input.now, note: step.create ? 'created' : 'none' });
  const revision = newRevision(d, step, newRS, old);
  const plan: DeploymentPlan = { ...base, updates, prune, status };
  if (step.create) plan.create = step.create;
  if (revision !== undefined && String(revision) !== d.metadata.annotations?.[revisionAnnotation]) plan.revision = String(revision);
  if (requeueAfterMs !== undefined) plan.requeueAfterMs = requeueAfterMs;
  return plan;
}

function newRevision(d: Deployment, step: Step, newRS: ReplicaSet | undefined, old: ReplicaSet[]): number | undefined {
  if (step.create) return revisionOf(step.create);
  if (!newRS) return undefined;
  return d.spec.paused ? revisionOf(newRS) : Math.max(revisionOf(newRS), maxRevision(old) + 1);
}

interface Step {
  newRS?: ReplicaSet;
  create?: ReplicaSet;
  scales: Scale[];
  collision?: boolean;
}

function planStep(input: DeploymentInput, existingNew: ReplicaSet | undefined, old: ReplicaSet[]): Step {
  const { d } = input;
  const all = existingNew ? [existingNew, ...old] : old;
  if (d.spec.paused || isScalingEvent(d, all)) return { ...(existingNew ? { newRS: existingNew } : {}), scales: scaleForEvent(d, existingNew, old) };
  if ((d.spec.strategy?.type ?? 'RollingUpdate') === 'Recreate') return recreate(input, existingNew, old);
  let newRS = existingNew;
  let create: ReplicaSet | undefined;
  if (!newRS) {
    const made = makeNew(input, old, initialNewSize(d, old));
    if (made === 'collision') return { scales: [], collision: true };
    newRS = create = made;
  }
  // A ReplicaSet just created: old ones may already shrink within what its unavailable pods allow.
  const scales = rollingStep(d, newRS, old).filter((s) => !create || s.rs !== newRS);
  return { newRS, scales, ...(create ? { create } : {}) };
}

function recreate(input: DeploymentInput, existingNew: ReplicaSet | undefined, old: ReplicaSet[]): Step {
  const { d } = input;
  const keep = existingNew ? { newRS: existingNew } : {};
  const down = recreateScaleDown(old);
  if (down.length > 0) return { ...keep, scales: down };
  if (oldPodsRunning(input, old)) return { ...keep, scales: [] };
  if (!existingNew) {
    const made = makeNew(input, old, replicasOf(d));
    return made === 'collision' ? { scales: [], collision: true } : { newRS: made, create: made, scales: [] };
  }
  return { newRS: existingNew, scales: (existingNew.spec.replicas ?? 0) !== replicasOf(d) ? [{ rs: existingNew, replicas: replicasOf(d) }] : [] };
}

/** Recreate starts new pods only once no old pod runs (terminating ones included: they may still hold a port or a device). */
function oldPodsRunning(input: DeploymentInput, old: ReplicaSet[]): boolean {
  if (old.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
  const uids = new Set(old.map((rs) => rs.metadata.uid));
  return input.pods.some((p) => uids.has(controllerRef(p)?.uid) && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');
}

/** The new ReplicaSet, or a collision: its name is taken by a ReplicaSet of another template. */
function makeNew(input: DeploymentInput, old: ReplicaSet[], replicas: number): ReplicaSet | 'collision' {
  const rs = newReplicaSetFor(input.d, replicas, maxRevision(old) + 1);
  const taken = input.replicaSets.find((x) => x.metadata.name === rs.metadata.name);
  return taken ? 'collision' : rs;
}

/** Scales become writes carrying the size annotations; the new ReplicaSet also gets the newest revision. */
function toUpdates(d: Deployment, scales: Scale[], newRS: ReplicaSet | undefined, nextRevision: number, existingNew: ReplicaSet | undefined): ReplicaSetUpdate[] {
  const updates = new Map<string, ReplicaSetUpdate>();
  for (const s of scales) updates.set(s.rs.metadata.name ?? '', { rs: s.rs, replicas: s.replicas, annotations: replicaAnnotations(d) });
  if (existingNew && newRS === existingNew && !d.spec.paused) {
    const sync = syncNewReplicaSet(d, existingNew, nextRevision);
    if (sync) {
      const name = existingNew.metadata.name ?? '';
      const prev = updates.get(name);
      updates.set(name, { ...sync, replicas: prev?.replicas ?? existingNew.spec.replicas ?? 0, annotations: { ...prev?.annotations, ...sync.annotations } });
    }
  }
  return [...updates.values()];
}

/**
 * What the current ReplicaSet must take over from the Deployment besides its size: the newest
 * revision (after a rollback), the Deployment's annotations (a change-cause set later shows in
 * `rollout history`) and minReadySeconds. Undefined when it has them already.
 */
function syncNewReplicaSet(d: Deployment, rs: ReplicaSet, nextRevision: number): Omit<ReplicaSetUpdate, 'replicas'> | undefined {
  const have = rs.metadata.annotations ?? {};
  const annotations: Record<string, string> = Object.fromEntries(Object.entries(copiedAnnotations(d)).filter(([k, v]) => have[k] !== v));
  if (revisionOf(rs) < nextRevision) {
    const history = [have[revisionHistoryAnnotation], String(revisionOf(rs))].filter((x) => x !== undefined && x !== '' && x !== '0').join(',');
    annotations[revisionAnnotation] = String(nextRevision);
    if (history) annotations[revisionHistoryAnnotation] = history;
  }
  const minReady = d.spec.minReadySeconds ?? 0;
  const minReadyChanged = (rs.spec.minReadySeconds ?? 0) !== minReady;
  if (Object.keys(annotations).length === 0 && !minReadyChanged) return undefined;
  return { rs, annotations, ...(minReadyChanged ? { minReadySeconds: minReady } : {}) };
}

function complete(d: Deployment, newRS: ReplicaSet | undefined, old: ReplicaSet[]): boolean {
  const r = replicasOf(d);
  return newRS !== undefined && (newRS.status?.replicas ?? 0) === r && (newRS.status?.availableReplicas ?? 0) === r &&
    (newRS.spec.replicas ?? 0) === r && old.every((rs) => (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0);
}

/** Old, empty ReplicaSets beyond revisionHistoryLimit, oldest revision first. */
export function pruneHistory(d: Deployment, old: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit ?? 10;
  const alive = old.filter((rs) => rs.metadata.deletionTimestamp === undefined);
  const excess = alive.length - limit;
  if (excess <= 0) return [];
  return [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b)).slice(0, excess)
    .filter((rs) => (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0));
}
