// nodeSelector, required node affinity (filters) and preferred node affinity (score).
// Architecture is one of these: a pod whose image exists only for arm64 says
// `nodeSelector: {kubernetes.io/arch: arm64}` (agents label every node with its arch).
import type { NodeSelectorTerm } from '../../api/schemas.js';
import type { Node } from '../../api/schemas.js';
import { fits, type FilterPlugin, type ScorePlugin } from '../types.js';

type Requirement = NonNullable<NodeSelectorTerm['matchExpressions']>[number];

/** Gt/Lt compare integers; a label that is not one never matches (Kubernetes' rule). */
function intOf(s: string | undefined): number | undefined {
  return s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined;
}

export function requirementMatches(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      const have = intOf(value);
      const want = intOf(values[0]);
      if (have === undefined || want === undefined || values.length !== 1) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
  }
}

/** The fields a matchFields requirement may name; Kubernetes supports only metadata.name. */
function fieldValue(node: Node, key: string): string | undefined {
  return key === 'metadata.name' ? node.metadata.name : undefined;
}

/** A term ANDs its requirements; a term with none matches nothing (Kubernetes' rule). */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((r) => requirementMatches(r, labels[r.key])) && fields.every((r) => requirementMatches(r, fieldValue(node, r.key)));
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
