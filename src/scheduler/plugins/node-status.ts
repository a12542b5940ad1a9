// Filters on the node's own state: Ready, and not cordoned (`spec.unschedulable`).
import { fits, type FilterPlugin, type NodeInfo, type PodInfo } from '../types.js';
import { tolerates } from './taints.js';

/**
 * A node whose Ready condition is not True (agent down, runtime missing, presence lost) gets no
 * new pods: no toleration overrides it, since nothing there would start them.
 */
export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter: (_pod, ni) => (ni.ready ? fits : { ok: false, reasons: ['node(s) were not ready'], unresolvable: true }),
};

/** The taint Kubernetes lets pods tolerate to land on a cordoned node (DaemonSets carry it). */
const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' as const };

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter: (pod: PodInfo, ni: NodeInfo) => {
    if (ni.node.spec?.unschedulable !== true) return fits;
    if (tolerates(pod.pod.spec.tolerations, unschedulableTaint)) return fits;
    return { ok: false, reasons: ['node(s) were unschedulable'], unresolvable: true };
  },
};
