// What `rollout status` says about a Deployment or DaemonSet, word for word as kubectl's status
// viewers, so scripts written against kubectl read it the same way. Pure: one object in, one verdict out.
import type { KObject } from '../../api/types.js';
import { arr, at, num, str } from '../output/fields.js';

export interface RolloutVerdict {
  message: string;
  done: boolean;
  /** The rollout cannot finish (progress deadline exceeded, not a rolling strategy). */
  error?: string;
}

export function deploymentVerdict(d: KObject): RolloutVerdict {
  const name = d.metadata.name ?? '';
  if ((d.metadata.generation ?? 0) > num(at(d, 'status', 'observedGeneration'))) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false };
  }
  const progressing = arr(at(d, 'status', 'conditions')).find((c) => at(c, 'type') === 'Progressing');
  if (str(at(progressing, 'reason')) === 'ProgressDeadlineExceeded') {
    return { message: '', done: false, error: `deployment "${name}" exceeded its progress deadline` };
  }
  const spec = at(d, 'spec', 'replicas');
  const replicas = spec === undefined ? 1 : num(spec);
  const updated = num(at(d, 'status', 'updatedReplicas'));
  const total = num(at(d, 'status', 'replicas'));
  const available = num(at(d, 'status', 'availableReplicas'));
  const waiting = (what: string): RolloutVerdict => ({ message: `Waiting for deployment "${name}" rollout to finish: ${what}...`, done: false });
  if (updated < replicas) return waiting(`${updated} out of ${replicas} new replicas have been updated`);
  if (total > updated) return waiting(`${total - updated} old replicas are pending termination`);
  if (available < updated) return waiting(`${available} of ${updated} updated replicas are available`);
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

export function daemonSetVerdict(ds: KObject): RolloutVerdict {
  const name = ds.metadata.name ?? '';
  if (str(at(ds, 'spec', 'updateStrategy', 'type'), 'RollingUpdate') !== 'RollingUpdate') {
    return { message: '', done: false, error: 'rollout status is only available for RollingUpdate strategy type' };
  }
  if ((ds.metadata.generation ?? 0) > num(at(ds, 'status', 'observedGeneration'))) {
    return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  }
  const desired = num(at(ds, 'status', 'desiredNumberScheduled'));
  const updated = num(at(ds, 'status', 'updatedNumberScheduled'));
  const available = num(at(ds, 'status', 'numberAvailable'));
  if (updated < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false };
  if (available < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`, done: false };
  return { message: `daemon set "${name}" successfully rolled out`, done: true };
}

export function verdictFor(obj: KObject): RolloutVerdict {
  return obj.kind === 'DaemonSet' ? daemonSetVerdict(obj) : deploymentVerdict(obj);
}
