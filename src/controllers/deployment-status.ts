// A Deployment's status from its ReplicaSets, and its conditions with Kubernetes' reasons, so
// `rollout status` and anything written for Kubernetes read it the same way.
import type { Deployment, DeploymentStatus, ReplicaSet } from '../api/kinds/apps.js';
import type { Condition } from '../api/meta.js';
import { replicasOf, specReplicas, sum, surgeLimits } from './deployment-util.js';

/** What happened in this sync that the Progressing condition reports. */
export type ProgressNote = 'created' | 'none';

export interface StatusInput {
  d: Deployment;
  all: readonly ReplicaSet[];
  newRS: ReplicaSet | undefined;
  now: number;
  note: ProgressNote;
}

export function deploymentStatus(input: StatusInput): { status: DeploymentStatus; requeueAfterMs?: number } {
  const { d, all, newRS } = input;
  const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sum(all, (rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(all, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  const iso = new Date(input.now).toISOString();
  let conditions = [...(d.status?.conditions ?? [])];
  conditions = setCondition(conditions, availableCondition(d, available), iso);
  conditions = replicaFailure(conditions, all, newRS, iso);
  const progress = progressing(input, status, conditions);
  if (progress.condition) conditions = progress.replace ? replaceCondition(conditions, progress.condition, iso) : setCondition(conditions, progress.condition, iso);
  status.conditions = conditions;
  return { status, ...(progress.requeueAfterMs !== undefined ? { requeueAfterMs: progress.requeueAfterMs } : {}) };
}

type NewCondition = Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>;

function availableCondition(d: Deployment, available: number): NewCondition {
  return available >= replicasOf(d) - surgeLimits(d).unavailable
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
}

const rsName = (rs: ReplicaSet | undefined): string => rs?.metadata.name ?? '';

/** A ReplicaSet that cannot create or delete pods (quota, a terminating namespace, ...) says so on the Deployment too, the new one first. */
function replicaFailure(conditions: Condition[], all: readonly ReplicaSet[], newRS: ReplicaSet | undefined, iso: string): Condition[] {
  const ordered = newRS ? [newRS, ...all.filter((rs) => rs.metadata.name !== newRS.metadata.name)] : [...all];
  const failure = ordered.map((rs) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find((c) => c !== undefined);
  if (!failure) return conditions.filter((c) => c.type !== 'ReplicaFailure');
  return setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: failure.reason ?? 'FailedCreate', message: failure.message ?? '' }, iso);
}

interface Progress { condition?: NewCondition; replace?: boolean; requeueAfterMs?: number }

/** The Progressing condition (sync.go syncRolloutStatus, with the paused and found/created notes). */
function progressing(input: StatusInput, status: DeploymentStatus, conditions: Condition[]): Progress {
  const { d, newRS, now } = input;
  const current = conditions.find((c) => c.type === 'Progressing');
  if (d.spec.paused) {
    return current?.reason === 'DeploymentPaused' ? {} : { condition: { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' } };
  }
  if (current?.reason === 'DeploymentPaused') return { condition: { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' } };
  if (input.note === 'created') return { condition: { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName(newRS)}"` }, replace: true };
  const replicas = replicasOf(d);
  if (status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas) {
    return { condition: { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName(newRS)}" has successfully progressed.` } };
  }
  if (madeProgress(d.status ?? {}, status)) {
    return { condition: { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: newRS ? `ReplicaSet "${rsName(newRS)}" is progressing.` : `Deployment "${d.metadata.name ?? ''}" is progressing.` }, replace: true };
  }
  if (!current && newRS) return { condition: { type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${rsName(newRS)}"` } };
  if (current?.status !== 'True' || current.reason === 'NewReplicaSetAvailable') return {};
  const deadlineMs = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
  const left = Date.parse(current.lastUpdateTime ?? current.lastTransitionTime ?? new Date(now).toISOString()) + deadlineMs - now;
  if (left < 0) return { condition: { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName(newRS)}" has timed out progressing.` } };
  return { requeueAfterMs: left + 1 };
}

function madeProgress(old: DeploymentStatus, next: DeploymentStatus): boolean {
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** Kubernetes' SetDeploymentCondition: same status and reason changes nothing; same status keeps the transition time. */
function setCondition(conditions: Condition[], c: NewCondition, iso: string): Condition[] {
  const cur = conditions.find((x) => x.type === c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return conditions;
  const lastTransitionTime = cur && cur.status === c.status ? cur.lastTransitionTime ?? iso : iso;
  return [...conditions.filter((x) => x.type !== c.type), { ...c, lastUpdateTime: iso, lastTransitionTime }];
}

/** Progress refreshes lastUpdateTime (the deadline counts from it) even when status and reason stay. */
function replaceCondition(conditions: Condition[], c: NewCondition, iso: string): Condition[] {
  const cur = conditions.find((x) => x.type === c.type);
  const lastTransitionTime = cur && cur.status === c.status ? cur.lastTransitionTime ?? iso : iso;
  return [...conditions.filter((x) => x.type !== c.type), { ...c, lastUpdateTime: iso, lastTransitionTime }];
}
