// Whether a pod may run on a node as far as the node itself says: nodeName, nodeSelector,
// required node affinity (matchExpressions on labels, matchFields on metadata.name) and taints
// against tolerations. The DaemonSet controller decides with it which nodes get a pod; it is
// written here, not borrowed from the scheduler, because those decisions must not depend on
// resource fit (Kubernetes' DaemonSet controller does the same). The selector and term rules
// are the shared ones in src/api/node-selector.ts.
import type { Node, Taint } from '../api/kinds/node.js';
import type { PodSpec } from '../api/kinds/pod.js';
import { nodeSelectorMatches, nodeSelectorTermsMatch } from '../api/node-selector.js';
import { toleratesTaint } from '../api/tolerations.js';

/** nodeSelector and the required node affinity terms (ORed). */
export function matchesNodeSelectorAndAffinity(spec: PodSpec, node: Node): boolean {
  if (!nodeSelectorMatches(spec.nodeSelector, node)) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return terms === undefined || nodeSelectorTermsMatch(terms, node);
}

/** Taints of these effects the pod does not tolerate. */
export function untoleratedTaints(spec: PodSpec, node: Node, effects: readonly Taint['effect'][]): Taint[] {
  return (node.spec?.taints ?? []).filter((taint) => effects.includes(taint.effect) && !(spec.tolerations ?? []).some((t) => toleratesTaint(t, taint)));
}

export interface NodeFit {
  /** A new pod may be placed here. */
  shouldRun: boolean;
  /** A pod already here may stay (NoSchedule taints do not evict). */
  shouldContinueRunning: boolean;
}

export function nodeFit(spec: PodSpec, node: Node): NodeFit {
  const fitsName = spec.nodeName === undefined || spec.nodeName === '' || spec.nodeName === node.metadata.name;
  if (!fitsName || !matchesNodeSelectorAndAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  if (untoleratedTaints(spec, node, ['NoExecute']).length > 0) return { shouldRun: false, shouldContinueRunning: false };
  return { shouldRun: untoleratedTaints(spec, node, ['NoSchedule']).length === 0, shouldContinueRunning: true };
}
