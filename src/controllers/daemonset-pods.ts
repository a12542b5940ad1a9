// The pod a DaemonSet puts on one node: its template, the template hash label, the DaemonSet
// tolerations, and a required node affinity naming the node (the scheduler binds it there,
// as in Kubernetes, so resource accounting and preemption stay in one place).
import type { DaemonSet } from '../api/kinds/apps.js';
import type { Pod, PodSpec, Toleration } from '../api/kinds/pod.js';
import type { KObject } from '../api/types.js';
import { podFromTemplate } from './pods.js';

export const revisionHashLabel = 'controller-revision-hash';

/** What every DaemonSet pod tolerates, so a node's trouble or cordon does not take its daemons away. */
export const daemonTolerations: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** The template's tolerations plus the DaemonSet ones (a user's toleration of the same key and effect wins). */
export function withDaemonTolerations(spec: PodSpec): PodSpec {
  const own = spec.tolerations ?? [];
  const added = daemonTolerations.filter((d) => !own.some((t) => t.key === d.key && (t.effect ?? '') === d.effect));
  return { ...spec, tolerations: [...own, ...added] };
}

/** Required node affinity replaced by one term naming the node (the original terms were checked by the controller). */
function pinnedTo(spec: PodSpec, nodeName: string): PodSpec {
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [nodeName] }] };
  const nodeAffinity = { ...spec.affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  return { ...spec, affinity: { ...spec.affinity, nodeAffinity } };
}

export function daemonPodFor(ds: DaemonSet, hash: string, nodeName: string): Pod {
  const tpl = { ...ds.spec.template, metadata: { ...ds.spec.template.metadata, labels: { ...ds.spec.template.metadata?.labels, [revisionHashLabel]: hash } } };
  const pod = podFromTemplate(ds as unknown as KObject, tpl, `${ds.metadata.name ?? ''}-`); // the same JSON, typed two ways
  pod.spec = pinnedTo(withDaemonTolerations(pod.spec), nodeName);
  return pod;
}

/** The node a daemon pod is for: bound, or named by its affinity while it waits for the scheduler. */
export function targetNode(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
