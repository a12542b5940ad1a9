// Taints and tolerations: a NoSchedule or NoExecute taint keeps every pod that does not
// tolerate it off the node (filter); PreferNoSchedule only makes the node less attractive (score).
import type { Toleration } from '../../api/schemas.js';
import { toleratesTaint, type TaintLike } from '../../api/tolerations.js';
import { fits, type FilterPlugin, type ScorePlugin } from '../types.js';

export function tolerates(tolerations: readonly Toleration[] | undefined, taint: TaintLike): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

export const taintToleration: FilterPlugin = {
  name: 'TaintToleration',
  filter: (pod, ni) => {
    for (const taint of ni.node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule') continue;
      if (!tolerates(pod.pod.spec.tolerations, taint)) {
        return { ok: false, reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`], unresolvable: true };
      }
    }
    return fits;
  },
};

/** Fewer untolerated PreferNoSchedule taints score higher; the node with the most scores 0. */
export const taintPreference: ScorePlugin = {
  name: 'TaintToleration',
  score: (pod, ni) => (ni.node.spec?.taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerates(pod.pod.spec.tolerations, t)).length,
  normalize: (scores) => {
    const max = Math.max(0, ...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? 100 : Math.round((100 * (max - scores[i]!)) / max);
  },
};
