// Write helpers shared by the workload controllers.
import type { Pod } from '../api/kinds/pod.js';
import type { KObject } from '../api/types.js';
import { isNotFound, type ControllerContext } from './controller.js';
import type { Expectations } from './expectations.js';
import { errorMessage, podsType } from './owners.js';

/** A create or delete of dependents failed; its reason becomes a condition and the key backs off. */
export class PodWriteError extends Error {
  constructor(readonly reason: 'FailedCreate' | 'FailedDelete', message: string) {
    super(message);
    this.name = 'PodWriteError';
  }
}

/**
 * Runs `count` creates in batches of 1, 2, 4, ... (client-go's slowStartBatch): when every create
 * fails (a quota, a bad template, a terminating namespace) one call fails, not hundreds. After a
 * failure no further batch starts; `skipped` is called once per create never attempted.
 */
export async function slowStart(count: number, create: () => Promise<void>, failed: (err: unknown) => void, skipped: () => void): Promise<PodWriteError | undefined> {
  let done = 0;
  let batch = 1;
  let error: PodWriteError | undefined;
  while (done < count) {
    const n = Math.min(batch, count - done);
    const results = await Promise.allSettled(Array.from({ length: n }, create));
    done += n;
    for (const r of results) {
      if (r.status === 'rejected') {
        failed(r.reason);
        error ??= new PodWriteError('FailedCreate', errorMessage(r.reason));
      }
    }
    if (error) break;
    batch *= 2;
  }
  for (let i = done; i < count; i++) skipped();
  return error;
}

/**
 * A merge patch replacing the status counters and conditions: absent conditions are sent as
 * null so a condition that no longer holds is removed, not kept by the merge.
 */
export function statusPatch(status: object): { status: Record<string, unknown> } {
  return { status: { conditions: null, ...status } };
}

/**
 * Deletes one of `owner`'s pods (uid precondition: never a namesake), with its Event. A pod
 * already gone counts as deleted; a failure settles the expectation (no delete event will come).
 */
export async function deleteOwnedPod(ctx: ControllerContext, expectations: Expectations, owner: KObject, key: string, pod: Pod): Promise<PodWriteError | undefined> {
  const name = pod.metadata.name ?? '';
  try {
    await ctx.api.delete(podsType, owner.metadata.namespace, name, { preconditions: { uid: pod.metadata.uid ?? '' } });
    ctx.events.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    return undefined;
  } catch (err) {
    expectations.observeDelete(key, pod.metadata.uid ?? '');
    if (isNotFound(err)) return undefined;
    ctx.events.record(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
    return new PodWriteError('FailedDelete', `pod "${name}": ${errorMessage(err)}`);
  }
}
