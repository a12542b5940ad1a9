// Preemption, pure: for a pod that fits nowhere, the node where evicting lower-priority pods
// would let it fit under every filter, and the fewest, least important pods to evict there.
// Kubernetes' approach in small: remove every lower-priority pod, check the pod fits, then
// give back ("reprieve") the most important ones one by one while it still fits.
import { runFilters } from './decide.js';
import { addPod, cloneNodeInfo, removePod } from './node-info.js';
import type { FilterPlugin, FilterResult, NodeInfo, PodInfo, SchedulingContext } from './types.js';

export interface Preemption {
  node: string;
  victims: PodInfo[];
}

const terminating = (p: PodInfo): boolean => p.pod.metadata.deletionTimestamp !== undefined;

/** More important first: higher priority, then older. */
function byImportance(a: PodInfo, b: PodInfo): number {
  return b.priority - a.priority || (a.pod.metadata.creationTimestamp ?? '').localeCompare(b.pod.metadata.creationTimestamp ?? '');
}

/** The victims on one node, or undefined when evicting every lower-priority pod would not be enough. */
export function victimsOn(pod: PodInfo, ni: NodeInfo, ctx: SchedulingContext, filters?: readonly FilterPlugin[]): PodInfo[] | undefined {
  const candidates = [...ni.pods.values()].filter((p) => p.priority < pod.priority && !terminating(p)).sort(byImportance);
  if (candidates.length === 0) return undefined;
  const sim = cloneNodeInfo(ni);
  for (const p of candidates) removePod(sim, p.key);
  if (!runFilters(pod, sim, ctx, filters).ok) return undefined;
  const victims: PodInfo[] = [];
  for (const p of candidates) {
    addPod(sim, p);
    if (!runFilters(pod, sim, ctx, filters).ok) {
      removePod(sim, p.key);
      victims.push(p);
    }
  }
  return victims;
}

interface Candidate extends Preemption {
  top: number;
  sum: number;
}

/** Lowest highest-victim priority, then fewest victims, then lowest priority sum, then name. */
function better(a: Candidate, b: Candidate): boolean {
  if (a.top !== b.top) return a.top < b.top;
  if (a.victims.length !== b.victims.length) return a.victims.length < b.victims.length;
  if (a.sum !== b.sum) return a.sum < b.sum;
  return a.node < b.node;
}

/**
 * `failures` is the decision's per-node filter result: only nodes that failed for reasons
 * removing pods can fix (resources, host ports) are tried.
 */
export function findPreemption(
  pod: PodInfo, nodes: readonly NodeInfo[], failures: ReadonlyMap<string, FilterResult>, ctx: SchedulingContext, filters?: readonly FilterPlugin[],
): Preemption | undefined {
  let best: Candidate | undefined;
  for (const ni of nodes) {
    const f = failures.get(ni.name);
    if (!f || f.ok || f.unresolvable === true) continue;
    const victims = victimsOn(pod, ni, ctx, filters);
    if (!victims || victims.length === 0) continue;
    const c: Candidate = { node: ni.name, victims, top: Math.max(...victims.map((v) => v.priority)), sum: victims.reduce((s, v) => s + v.priority, 0) };
    if (!best || better(c, best)) best = c;
  }
  return best ? { node: best.node, victims: best.victims } : undefined;
}
