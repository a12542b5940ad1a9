// Whether a toleration tolerates a taint: one rule for the scheduler (filters), the node
// lifecycle controller (eviction) and the DaemonSet controller (node matching).
import type { Taint, Toleration } from './schemas.js';

export type TaintLike = Pick<Taint, 'key' | 'value' | 'effect'>;

/** Kubernetes' ToleratesTaint: an empty effect matches every effect, an empty key with Exists every key. */
export function toleratesTaint(t: Toleration, taint: TaintLike): boolean {
  if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false;
  if ((t.key ?? '') === '') return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}
