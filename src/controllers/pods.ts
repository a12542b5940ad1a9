// What the workload controllers ask of a pod: is it active, ready, available, whose is it.
// Kubernetes' definitions (k8s.io/kubernetes/pkg/controller, podutil), so counts agree with kubectl.
import type { Pod, PodTemplateSpec } from '../api/kinds/pod.js';
import type { KObject, OwnerReference } from '../api/types.js';

/** Informer objects of the pods kind were validated by the API server on write. */
export function asPod(o: KObject): Pod {
  return o as unknown as Pod; // the typebox Pod type and KObject describe the same JSON
}

/** Neither finished (Succeeded/Failed) nor being deleted: the pod counts towards replicas. */
export function isActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

export function readyCondition(pod: Pod): { status: string; lastTransitionTime?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (a condition without a transition time counts as long ready). */
export function isAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0 || c.lastTransitionTime === undefined) return true;
  return Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 <= now;
}

/**
 * Milliseconds until a ready pod becomes available, or undefined when that is not pending
 * (not ready, or already available): the controller looks again then.
 */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || minReadySeconds <= 0 || c.lastTransitionTime === undefined) return undefined;
  const left = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

export function controllerRef(obj: { metadata: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** The reference a controller puts on what it creates or adopts. */
export function ownerRefTo(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Milliseconds since the epoch of an RFC 3339 time, 0 when missing. */
export function timeOf(t: string | undefined): number {
  return t === undefined ? 0 : Date.parse(t) || 0;
}

export function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, cs) => n + cs.restartCount, 0);
}

/** Pods (unscheduled, pending, not ready first, ...) in the order Kubernetes deletes them when scaling down. */
export function deletionOrder(pods: readonly Pod[]): Pod[] {
  // Pods doubled up on a node go before a node's only pod, so scale-down spreads what stays.
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: Pod): number => (p.spec.nodeName ? perNode.get(p.spec.nodeName) ?? 0 : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, rank));
}

const phaseOrder: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function compareForDeletion(a: Pod, b: Pod, rank: (p: Pod) => number): number {
  const steps: (() => number)[] = [
    () => Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)),
    () => (phaseOrder[a.status?.phase ?? 'Pending'] ?? 0) - (phaseOrder[b.status?.phase ?? 'Pending'] ?? 0),
    () => Number(isReady(a)) - Number(isReady(b)),
    () => rank(b) - rank(a),
    // Ready for less time goes first (newer transition first).
    () => (isReady(a) && isReady(b) ? timeOf(readyCondition(b)?.lastTransitionTime) - timeOf(readyCondition(a)?.lastTransitionTime) : 0),
    () => restarts(b) - restarts(a),
    () => timeOf(b.metadata.creationTimestamp) - timeOf(a.metadata.creationTimestamp),
  ];
  for (const step of steps) {
    const d = step();
    if (d !== 0) return d;
  }
  return 0;
}

/** A new pod from a template, owned by `owner` (Kubernetes' GetPodFromTemplate); the server picks the name suffix. */
export function podFromTemplate(owner: KObject, template: PodTemplateSpec, generateName: string): Pod {
  const tm = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      labels: { ...tm.labels },
      ...(tm.annotations ? { annotations: { ...tm.annotations } } : {}),
      ...(tm.finalizers ? { finalizers: [...tm.finalizers] } : {}),
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: structuredClone(template.spec),
  };
}
