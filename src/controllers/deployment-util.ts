// Vocabulary of the Deployment controller: its labels and annotations, revisions, counts over
// ReplicaSets, and the new ReplicaSet for a template (Kubernetes' deployment/util).
import type { Deployment, ReplicaSet } from '../api/kinds/apps.js';
import { podTemplateHashLabel, revisionAnnotation } from '../api/annotations.js';
import type { KObject } from '../api/types.js';
import { surgeAndUnavailable } from './intstr.js';
import { ownerRefTo, timeOf } from './pods.js';
import { templateHash } from './hash.js';

export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';

/** Deployment annotations that stay on the Deployment (the rest are copied to its ReplicaSets, as Kubernetes does). */
const notCopied = new Set([revisionAnnotation, revisionHistoryAnnotation, desiredReplicasAnnotation, maxReplicasAnnotation, 'kubectl.kubernetes.io/last-applied-configuration', 'bramble.dev/last-applied-configuration']);

export const replicasOf = (o: { spec: { replicas?: number } }): number => o.spec.replicas ?? 1;

export function revisionOf(rs: ReplicaSet): number {
  const n = Number(rs.metadata.annotations?.[revisionAnnotation] ?? '0');
  return Number.isInteger(n) ? n : 0;
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

export const sum = (rss: readonly ReplicaSet[], f: (rs: ReplicaSet) => number): number => rss.reduce((n, rs) => n + f(rs), 0);
export const specReplicas = (rss: readonly ReplicaSet[]): number => sum(rss, (rs) => rs.spec.replicas ?? 0);
/**
 * Available pods of ReplicaSets, never more than their spec asks for: a ReplicaSet just scaled
 * down still reports its old availability until its controller catches up, and counting that
 * would let a rolling update take down more than maxUnavailable.
 */
export const availableReplicas = (rss: readonly ReplicaSet[]): number => sum(rss, (rs) => Math.min(rs.status?.availableReplicas ?? 0, rs.spec.replicas ?? 0));

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge and maxUnavailable as counts (Recreate: none; 0 replicas: none). */
export function surgeLimits(d: Deployment): { surge: number; unavailable: number } {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return { surge: 0, unavailable: 0 };
  const ru = d.spec.strategy?.rollingUpdate;
  const limits = surgeAndUnavailable(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicas);
  return replicas === 0 ? { surge: limits.surge, unavailable: 0 } : limits;
}

export const byCreation = (a: ReplicaSet, b: ReplicaSet): number =>
  timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** The ReplicaSet a Deployment makes for its current template. */
export function newReplicaSetFor(d: Deployment, replicas: number, revision: number): ReplicaSet {
  const hash = templateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const tpl = structuredClone(d.spec.template);
  tpl.metadata = { ...tpl.metadata, labels: { ...tpl.metadata?.labels, [podTemplateHashLabel]: hash } };
  const copied = copiedAnnotations(d);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name ?? ''}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { ...tpl.metadata.labels },
      annotations: { ...copied, ...replicaAnnotations(d), [revisionAnnotation]: String(revision) },
      ownerReferences: [ownerRefTo(d as unknown as KObject)],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec.minReadySeconds ?? 0,
      selector: { ...d.spec.selector, matchLabels: { ...d.spec.selector.matchLabels, [podTemplateHashLabel]: hash } },
      template: tpl,
    },
  };
}

/** The Deployment's annotations its ReplicaSets carry too (changeCauseAnnotation from src/api/annotations.ts, ...). */
export function copiedAnnotations(d: Deployment): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !notCopied.has(k)));
}

/** What a ReplicaSet records of the Deployment size it was scaled for (proportional scaling reads it back). */
export function replicaAnnotations(d: Deployment): Record<string, string> {
  return { [desiredReplicasAnnotation]: String(replicasOf(d)), [maxReplicasAnnotation]: String(replicasOf(d) + surgeLimits(d).surge) };
}
