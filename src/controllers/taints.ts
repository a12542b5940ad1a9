// Taints the node lifecycle controller owns (how a toleration matches a taint is src/api/tolerations.ts).
// Pure functions over plain objects: the controller and its tests share them.
import type { Taint } from '../api/kinds/node.js';
import type { KObject } from '../api/types.js';

export const unreachableTaintKey = 'node.kubernetes.io/unreachable';
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
export const unschedulableTaintKey = 'node.kubernetes.io/unschedulable';

/** Keys this controller adds and removes; every other taint belongs to someone else and is kept. */
export const managedTaintKeys: readonly string[] = [unreachableTaintKey, notReadyTaintKey, unschedulableTaintKey];

export type ReadyStatus = 'True' | 'False' | 'Unknown' | undefined;

interface NodeShape {
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export function nodeReady(node: KObject): ReadyStatus {
  const c = (node as NodeShape).status?.conditions?.find((x) => x.type === 'Ready');
  return c?.status as ReadyStatus;
}

export function nodeTaints(node: KObject): Taint[] {
  return (node as NodeShape).spec?.taints ?? [];
}

/** The managed taints (key + effect) a node should carry for its Ready condition and cordon. */
export function wantedTaints(ready: ReadyStatus, unschedulable: boolean): Pick<Taint, 'key' | 'effect'>[] {
  const out: Pick<Taint, 'key' | 'effect'>[] = [];
  // A node that never reported a Ready condition is not judged yet: the gateway marks it
  // Unknown when its presence is lost, and that is when the taints come.
  if (ready === 'Unknown') out.push({ key: unreachableTaintKey, effect: 'NoSchedule' }, { key: unreachableTaintKey, effect: 'NoExecute' });
  if (ready === 'False') out.push({ key: notReadyTaintKey, effect: 'NoSchedule' }, { key: notReadyTaintKey, effect: 'NoExecute' });
  if (unschedulable) out.push({ key: unschedulableTaintKey, effect: 'NoSchedule' });
  return out;
}

/**
 * The node's taints after adding the wanted managed taints and removing the unwanted ones;
 * undefined when nothing changes. A taint already there keeps its timeAdded (the eviction
 * clock must not restart on every pass); NoExecute taints get `now` as timeAdded, as in Kubernetes.
 */
export function reconcileTaints(current: readonly Taint[], wanted: readonly Pick<Taint, 'key' | 'effect'>[], now: string): Taint[] | undefined {
  const isWanted = (t: Pick<Taint, 'key' | 'effect'>): boolean => wanted.some((w) => w.key === t.key && w.effect === t.effect);
  const kept = current.filter((t) => !managedTaintKeys.includes(t.key) || isWanted(t));
  const added: Taint[] = wanted
    .filter((w) => !kept.some((t) => t.key === w.key && t.effect === w.effect))
    .map((w) => (w.effect === 'NoExecute' ? { ...w, timeAdded: now } : { ...w }));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

const readyWords: Record<string, string> = { True: 'Ready', False: 'NotReady', Unknown: 'Unknown (the node stopped reporting)' };

/** The Events a change of managed taints is worth (for `bramble describe node`), as Kubernetes words them. */
export function taintChangeEvents(node: string, before: readonly Taint[], after: readonly Taint[], ready: ReadyStatus): { reason: string; message: string }[] {
  const has = (ts: readonly Taint[], key: string): boolean => ts.some((t) => t.key === key);
  const out: { reason: string; message: string }[] = [];
  const readiness = (ts: readonly Taint[]): string => [unreachableTaintKey, notReadyTaintKey].filter((k) => has(ts, k)).join();
  if (readiness(before) !== readiness(after)) {
    out.push({ reason: ready === 'True' ? 'NodeReady' : 'NodeNotReady', message: `Node ${node} status is now: ${readyWords[ready ?? ''] ?? 'not reported'}` });
  }
  if (has(before, unschedulableTaintKey) !== has(after, unschedulableTaintKey)) {
    const cordoned = has(after, unschedulableTaintKey);
    out.push({ reason: cordoned ? 'NodeNotSchedulable' : 'NodeSchedulable', message: `Node ${node} status is now: ${cordoned ? 'NodeNotSchedulable' : 'NodeSchedulable'}` });
  }
  return out;
}
