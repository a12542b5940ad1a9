// nodeSelector, required node affinity (filters) and preferred node affinity (score).
// Architecture is one of these: a pod whose image exists only for arm64 says
// `nodeSelector: {kubernetes.io/arch: arm64}` (agents label every node with its arch).
// The matching rules are src/api/node-selector.ts, shared with the DaemonSet controller.
import { nodeSelectorMatches, nodeSelectorTermMatches, nodeSelectorTermsMatch } from '../../api/node-selector.js';
import { fits, type FilterPlugin, type ScorePlugin } from '../types.js';

export const nodeSelector: FilterPlugin = {
  name: 'NodeSelector',
  skip: (pod) => Object.keys(pod.pod.spec.nodeSelector ?? {}).length === 0,
  filter: (pod, ni) => {
    const ok = nodeSelectorMatches(pod.pod.spec.nodeSelector, ni.node);
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
    return nodeSelectorTermsMatch(terms, ni.node) ? fits : { ok: false, reasons: ["node(s) didn't match Pod's node affinity"], unresolvable: true };
  },
};

/** The sum of the weights of the preferred terms the node matches, scaled so the best node has 100. */
export const preferredAffinity: ScorePlugin = {
  name: 'NodeAffinity',
  skip: (pod) => (pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length === 0,
  score: (pod, ni) => {
    let sum = 0;
    for (const p of pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (nodeSelectorTermMatches(p.preference, ni.node)) sum += p.weight;
    }
    return sum;
  },
  normalize: (scores) => {
    const max = Math.max(0, ...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? 0 : Math.round((100 * scores[i]!) / max);
  },
};
