// Whether a pod may run on a node as far as the node itself says: nodeName, nodeSelector,
// required node affinity (matchExpressions on labels, matchFields on metadata.name) and taints
// against tolerations. The DaemonSet controller decides with it which nodes get a pod; it is
// written here, not borrowed from the scheduler, because those decisions must not depend on
// resource fit (Kubernetes' DaemonSet controller does the same).
import type { Node, Taint } from '../api/kinds/node.js';
import type { NodeSelectorTerm, PodSpec } from '../api/kinds/pod.js';
import { requirementMatches, type Operator } from '../api/selectors.js';
import { toleratesTaint } from '../api/tolerations.js';

type Requirement = NonNullable<NodeSelectorTerm['matchExpressions']>[number];

function matchesRequirement(r: Requirement, values: Record<string, string> | undefined): boolean {
  return requirementMatches({ key: r.key, operator: r.operator as Operator, values: r.values ?? [] }, values);
}

/** A term ANDs its requirements; a term without any matches nothing (as in Kubernetes). */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const fieldValues = { 'metadata.name': node.metadata.name ?? '' };
  return exprs.every((r) => matchesRequirement(r, node.metadata.labels)) && fields.every((r) => matchesRequirement(r, fieldValues));
}

/** nodeSelector and the required node affinity terms (ORed). */
export function matchesNodeSelectorAndAffinity(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return terms === undefined || terms.some((t) => termMatches(t, node));
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
