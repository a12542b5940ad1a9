// nodeSelector, required node affinity (filters) and preferred node affinity (score).
// Architecture is one of these: a pod whose image exists only for arm64 says
// `nodeSelector: {kubernetes.io/arch: arm64}` (agents label every node with its arch).
import type { NodeSelectorTerm } from '../../api/schemas.js';
import type { Node } from '../../api/schemas.js';
import { requirementMatches, type Operator } from '../../api/selectors.js';
import { fits, type FilterPlugin, type ScorePlugin } from '../types.js';

type Requirement = NonNullable<NodeSelectorTerm['matchExpressions']>[number];

/** The one label-requirement rule (src/api/selectors.ts), on labels or on the node's fields. */
function matches(r: Requirement, values: Record<string, string>): boolean {
  return requirementMatches({ key: r.key, operator: r.operator as Operator, values: r.values ?? [] }, values);
}

/** The fields a matchFields requirement may name; Kubernetes supports only metadata.name. */
function fieldsOf(node: Node): Record<string, string> {
  return node.metadata.name === undefined ? {} : { 'metadata.name': node.metadata.name };
}

/** A term ANDs its requirements; a term with none matches nothing (Kubernetes' rule). */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  const nodeFields = fieldsOf(node);
  return exprs.every((r) => matches(r, labels)) && fields.every((r) => matches(r, nodeFields));
}

export const nodeSelector: FilterPlugin = {
  name: 'NodeSelector',
  skip: (pod) => Object.keys(pod.pod.spec.nodeSelector ?? {}).length === 0,
  filter: (pod, ni) => {
    const labels = ni.node.metadata.labels ?? {};
    const ok = Object.entries(pod.pod.spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
    return ok ? fits : { ok: false, reasons: ["node(s) didn't match node selector"], unresolvable: true };
  },
};

/** Required terms are ORed: the node must match at least one. */
export const nodeAffinity: FilterPlugin = {
  name: 'NodeAffinity',
  skip: (pod) => pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms === undefined,
  filter: (pod, ni) => {
    const terms = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (terms === undefined) return fits;
    return terms.some((t) => termMatches(t, ni.node)) ? fits : { ok: false, reasons: ["node(s) didn't match Pod's node affinity"], unresolvable: true };
  },
};

/** The sum of the weights of the preferred terms the node matches, scaled so the best node has 100. */
export const preferredAffinity: ScorePlugin = {
  name: 'NodeAffinity',
  skip: (pod) => (pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length === 0,
  score: (pod, ni) => {
    let sum = 0;
    for (const p of pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (termMatches(p.preference, ni.node)) sum += p.weight;
    }
    return sum;
  },
  normalize: (scores) => {
    const max = Math.max(0, ...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? 0 : Math.round((100 * scores[i]!) / max);
  },
};
