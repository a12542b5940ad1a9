// The garbage collector's view of ownership: owner uid → dependents, built from informer events.
// Owners are known by uid only (an ownerReference names a uid that may never reach the cache),
// so a dependent can point at an owner the graph has never seen.
import { resourceByPlural, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';

/** `group/plural/namespace/name`: one work-queue key per object of any kind. */
export function itemKey(rt: ResourceType, namespace: string | undefined, name: string): string {
  return `${rt.group}/${rt.plural}/${namespace ?? ''}/${name}`;
}

export function parseItemKey(key: string): { rt: ResourceType; namespace: string | undefined; name: string } | undefined {
  const [group = '', plural = '', ns = '', ...rest] = key.split('/');
  const rt = resourceByPlural(group, plural);
  if (!rt || rt.group !== group) return undefined;
  return { rt, namespace: ns === '' ? undefined : ns, name: rest.join('/') };
}

interface Node {
  key: string;
  owners: string[];
}

export interface UpsertResult {
  /** Owner uids the object no longer points at (an orphaning or a user's edit). */
  ownersRemoved: string[];
  ownersChanged: boolean;
}

export class OwnerGraph {
  private readonly nodes = new Map<string, Node>();
  private readonly dependents = new Map<string, Set<string>>();

  upsert(key: string, obj: KObject): UpsertResult {
    const uid = obj.metadata.uid;
    if (uid === undefined) return { ownersRemoved: [], ownersChanged: false };
    const owners = [...new Set((obj.metadata.ownerReferences ?? []).map((r) => r.uid))];
    const prev = this.nodes.get(uid);
    const before = prev?.owners ?? [];
    const ownersRemoved = before.filter((o) => !owners.includes(o));
    for (const o of ownersRemoved) this.unlink(o, uid);
    for (const o of owners) {
      let set = this.dependents.get(o);
      if (!set) this.dependents.set(o, set = new Set());
      set.add(uid);
    }
    this.nodes.set(uid, { key, owners });
    const ownersChanged = ownersRemoved.length > 0 || owners.some((o) => !before.includes(o));
    return { ownersRemoved, ownersChanged };
  }

  /** Forgets the object; returns the uids of its owners (which may be waiting for it). */
  remove(uid: string | undefined): string[] {
    if (uid === undefined) return [];
    const node = this.nodes.get(uid);
    if (!node) return [];
    this.nodes.delete(uid);
    for (const o of node.owners) this.unlink(o, uid);
    return node.owners;
  }

  private unlink(owner: string, dependent: string): void {
    const set = this.dependents.get(owner);
    set?.delete(dependent);
    if (set?.size === 0) this.dependents.delete(owner);
  }

  keyOf(uid: string): string | undefined {
    return this.nodes.get(uid)?.key;
  }

  /** Keys of the objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): string[] {
    return [...(this.dependents.get(uid) ?? [])].flatMap((d) => {
      const k = this.nodes.get(d)?.key;
      return k === undefined ? [] : [k];
    });
  }

  get size(): number {
    return this.nodes.size;
  }
}
