// Which objects a controller owns (Kubernetes' ControllerRefManager): those whose controller
// reference names it, that still match its selector. Matching orphans are adopted (a reference
// added); owned objects that stopped matching are released (the reference removed), so a pod
// relabelled by hand leaves its ReplicaSet, which makes a replacement.
import type { ResourceType } from '../api/registry.js';
import type { LabelSelector } from '../api/selectors.js';
import { matchesLabels } from '../api/selectors.js';
import type { KObject } from '../api/types.js';
import { isNotFound, type ControllerContext } from './controller.js';
import { controllerRef, ownerRefTo } from './pods.js';

export interface Claim<T> {
  /** Owned and matching, including those to adopt. */
  owned: T[];
  adopt: T[];
  release: T[];
}

export function claim<T extends Pick<KObject, 'metadata'>>(owner: KObject, selector: LabelSelector, objects: readonly T[]): Claim<T> {
  const out: Claim<T> = { owned: [], adopt: [], release: [] };
  const uid = owner.metadata.uid;
  const ownerGoing = owner.metadata.deletionTimestamp !== undefined;
  for (const o of objects) {
    const ref = controllerRef(o);
    const matches = matchesLabels(selector, o.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) out.owned.push(o);
      else if (!ownerGoing) out.release.push(o);
      continue;
    }
    // An owner being deleted adopts nothing; a dependent being deleted is not worth adopting.
    if (matches && !ownerGoing && o.metadata.deletionTimestamp === undefined) {
      out.owned.push(o);
      out.adopt.push(o);
    }
  }
  return out;
}

/** A JSON merge patch cannot edit one list element: these patches replace ownerReferences whole, guarded by the uid and resourceVersion. */
function adoptPatch(obj: KObject, ref: NonNullable<KObject['metadata']['ownerReferences']>[number]): unknown {
  return {
    metadata: {
      resourceVersion: obj.metadata.resourceVersion,
      ownerReferences: [...(obj.metadata.ownerReferences ?? []), ref],
    },
  };
}

function releasePatch(obj: KObject, owner: KObject): unknown {
  return {
    metadata: {
      resourceVersion: obj.metadata.resourceVersion,
      ownerReferences: (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid),
    },
  };
}

/**
 * Writes a claim's adoptions, then its releases, one patch at a time. Each is guarded by the
 * dependent's resourceVersion (one changed meanwhile is looked at again); one gone meanwhile is skipped.
 */
export async function applyClaim(ctx: ControllerContext, rt: ResourceType, owner: KObject, claimed: { adopt: readonly object[]; release: readonly object[] }): Promise<void> {
  const ref = ownerRefTo(owner);
  const patches = [
    ...claimed.adopt.map((o) => ({ obj: o as KObject, patch: adoptPatch(o as KObject, ref) })),
    ...claimed.release.map((o) => ({ obj: o as KObject, patch: releasePatch(o as KObject, owner) })),
  ];
  for (const { obj, patch } of patches) {
    try {
      await ctx.api.patch(rt, obj.metadata.namespace, obj.metadata.name ?? '', patch);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
