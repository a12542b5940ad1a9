// When a pod on a NoExecute-tainted node must go: Kubernetes' taint manager, as pure functions.
//
// Kubernetes injects default tolerations (unreachable/not-ready, 300 s) into every pod at
// admission. Bramble applies the cluster default here instead, when the pod has no toleration
// of its own for those taints: the default then lives in one place (`--pod-eviction-timeout`),
// changing it affects pods already running, and pod specs stay as the user wrote them.
import type { Taint } from '../api/kinds/node.js';
import type { Toleration } from '../api/kinds/pod.js';
import type { KObject } from '../api/types.js';
import { toleratesTaint } from '../api/tolerations.js';
import { notReadyTaintKey, unreachableTaintKey } from './taints.js';

export type EvictionDecision =
  /** No NoExecute taint, or every one tolerated forever. */
  | { action: 'keep' }
  | { action: 'evict'; taint: Taint }
  /** Tolerated for now: look again after this long. */
  | { action: 'wait'; afterMs: number };

interface PodShape {
  spec?: { nodeName?: string; tolerations?: Toleration[] };
  status?: { phase?: string; conditions?: PodCondition[] };
}

export interface PodCondition { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string }

/** Taints the cluster default applies to when a pod says nothing about them. */
const defaultToleratedKeys = [unreachableTaintKey, notReadyTaintKey];

/** Seconds the pod may stay on a node with this taint: Infinity = forever, undefined = not at all. */
export function toleratedSeconds(tolerations: readonly Toleration[], taint: Taint, defaultSeconds: number): number | undefined {
  // As Kubernetes: the first toleration that matches the taint decides.
  const t = tolerations.find((x) => toleratesTaint(x, taint));
  if (t) return t.tolerationSeconds === undefined ? Infinity : Math.max(0, t.tolerationSeconds);
  return defaultToleratedKeys.includes(taint.key) ? defaultSeconds : undefined;
}

/**
 * What to do with a pod on a node carrying these taints at `nowMs`. Each NoExecute taint's
 * clock starts at its timeAdded (so a master restart does not restart it); the earliest
 * deadline over all taints wins.
 */
export function evictionDecision(pod: KObject, taints: readonly Taint[], nowMs: number, defaultSeconds: number): EvictionDecision {
  const tolerations = (pod as PodShape).spec?.tolerations ?? [];
  let deadline = Infinity;
  let first: Taint | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const seconds = toleratedSeconds(tolerations, taint, defaultSeconds);
    if (seconds === undefined) return { action: 'evict', taint };
    const added = taint.timeAdded !== undefined ? Date.parse(taint.timeAdded) : NaN;
    const at = (Number.isFinite(added) ? added : nowMs) + seconds * 1000;
    if (at < deadline) { deadline = at; first = taint; }
  }
  if (first === undefined || deadline === Infinity) return { action: 'keep' };
  if (deadline <= nowMs) return { action: 'evict', taint: first };
  return { action: 'wait', afterMs: deadline - nowMs };
}

/** A pod the node lifecycle controller looks at: bound, not finished, not already leaving. */
export function isActivePod(pod: KObject): boolean {
  const phase = (pod as PodShape).status?.phase;
  return pod.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * The pod's conditions with Ready=False (its node stopped reporting, so nobody vouches for
 * it: Endpoints drop it); undefined when Ready is already False.
 */
export function notReadyConditions(pod: KObject, now: string, nodeName: string): PodCondition[] | undefined {
  const conditions = (pod as PodShape).status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'False') return undefined;
  const next: PodCondition = { type: 'Ready', status: 'False', reason: 'NodeNotReady', message: `node ${nodeName} stopped reporting; the pod's state is unknown`, lastTransitionTime: now };
  return ready ? conditions.map((c) => (c === ready ? next : c)) : [...conditions, next];
}
