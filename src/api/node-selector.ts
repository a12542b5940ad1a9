// Whether a node matches a pod's nodeSelector and node selector terms: one rule for the
// scheduler (NodeSelector and NodeAffinity filters, preferred affinity score) and the
// DaemonSet controller (which nodes get a daemon pod). The requirement rule itself is
// requirementMatches (src/api/selectors.ts), on the node's labels or on its fields.
import type { Node, NodeSelectorTerm } from './schemas.js';
import { requirementMatches, type Operator } from './selectors.js';

type NodeSelectorRequirement = NonNullable<NodeSelectorTerm['matchExpressions']>[number];

/** The one label-requirement rule, on labels or on the node's fields. */
function matches(r: NodeSelectorRequirement, values: Record<string, string> | undefined): boolean {
  return requirementMatches({ key: r.key, operator: r.operator as Operator, values: r.values ?? [] }, values);
}

/** `spec.nodeSelector`: every pair must be a label of the node; an empty or absent one matches every node. */
export function nodeSelectorMatches(selector: Record<string, string> | undefined, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * One node selector term: its matchExpressions (on labels) and matchFields (Kubernetes supports
 * only `metadata.name`) are ANDed; a term with neither matches nothing (Kubernetes' rule).
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const nodeFields = { 'metadata.name': node.metadata.name ?? '' };
  return exprs.every((r) => matches(r, node.metadata.labels)) && fields.every((r) => matches(r, nodeFields));
}

/** Required node affinity's terms are ORed: the node must match at least one (so none matches nothing). */
export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}
