// The scheduling decision as a pure function of (pod, nodes with what is placed on them,
// settings): filters, then weighted scores, then the best node — or, when no node fits, how
// many nodes failed for each reason. No I/O and no clock: table and property tests call it directly.
import { addPod, cloneNodeInfo } from './node-info.js';
import { defaultFilters, defaultScores } from './plugins/index.js';
import type { FilterPlugin, FilterResult, NodeInfo, PodInfo, SchedulingContext, ScorePlugin } from './types.js';

export interface DecideOptions {
  filters?: readonly FilterPlugin[];
  scores?: readonly ScorePlugin[];
  /** Where to start walking the node list; rotating it spreads work and ties (Kubernetes does the same). */
  start?: number;
  /** Stop filtering once this many feasible nodes are found (default: all). */
  enough?: number;
  /** Pods nominated to nodes by earlier preemptions: their room is kept for them. */
  nominated?: readonly PodInfo[];
}

export type Decision =
  | { fit: true; node: string; feasible: number; evaluated: number }
  | { fit: false; total: number; reasons: Map<string, number>; failures: Map<string, FilterResult> };

export function runFilters(pod: PodInfo, ni: NodeInfo, ctx: SchedulingContext, filters: readonly FilterPlugin[] = defaultFilters): FilterResult {
  for (const f of filters) {
    const r = f.filter(pod, ni, ctx);
    if (!r.ok) return r;
  }
  return { ok: true };
}

/**
 * The node with the room of higher- or equal-priority pods nominated to it taken, so a pod does
 * not take the space a preemption freed for a more important one.
 */
function withNominated(pod: PodInfo, ni: NodeInfo, nominated: readonly PodInfo[] | undefined): NodeInfo {
  const mine = nominated?.filter((p) => p.pod.status?.nominatedNodeName === ni.name && p.key !== pod.key && p.priority >= pod.priority && !ni.pods.has(p.key));
  if (!mine || mine.length === 0) return ni;
  const copy = cloneNodeInfo(ni);
  for (const p of mine) addPod(copy, p);
  return copy;
}

export function scoreNodes(pod: PodInfo, feasible: readonly NodeInfo[], ctx: SchedulingContext, plugins: readonly ScorePlugin[] = defaultScores): number[] {
  const totals = new Array<number>(feasible.length).fill(0);
  for (const p of plugins) {
    const weight = ctx.config.weights[p.name] ?? 0;
    if (weight === 0 || p.skip?.(pod) === true) continue;
    const s = feasible.map((ni) => p.score(pod, ni, ctx));
    p.normalize?.(s);
    for (let i = 0; i < s.length; i++) totals[i]! += weight * Math.max(0, Math.min(100, s[i]!));
  }
  return totals;
}

export function decide(pod: PodInfo, nodes: readonly NodeInfo[], ctx: SchedulingContext, opts: DecideOptions = {}): Decision {
  // Filters that pass every node for this pod are left out of the per-node loop.
  const filters = (opts.filters ?? defaultFilters).filter((f) => f.skip?.(pod) !== true);
  // The node a preemption freed for this pod comes first: if it fits there, it goes there.
  const nominatedNode = pod.pod.status?.nominatedNodeName;
  if (nominatedNode) {
    const ni = nodes.find((n) => n.name === nominatedNode);
    if (ni && runFilters(pod, withNominated(pod, ni, opts.nominated), ctx, filters).ok) return { fit: true, node: ni.name, feasible: 1, evaluated: 1 };
  }
  const feasible: NodeInfo[] = [];
  const failures = new Map<string, FilterResult>();
  const enough = opts.enough ?? nodes.length;
  const start = nodes.length === 0 ? 0 : (opts.start ?? 0) % nodes.length;
  let evaluated = 0;
  for (; evaluated < nodes.length && feasible.length < enough; evaluated++) {
    const ni = nodes[(start + evaluated) % nodes.length]!;
    const r = runFilters(pod, withNominated(pod, ni, opts.nominated), ctx, filters);
    if (r.ok) feasible.push(ni);
    else failures.set(ni.name, r);
  }
  if (feasible.length === 0) return { fit: false, total: nodes.length, reasons: countReasons(failures), failures };
  const totals = scoreNodes(pod, feasible, ctx, opts.scores);
  let best = 0;
  for (let i = 1; i < totals.length; i++) if (totals[i]! > totals[best]!) best = i;
  return { fit: true, node: feasible[best]!.name, feasible: feasible.length, evaluated };
}

function countReasons(failures: ReadonlyMap<string, FilterResult>): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of failures.values()) {
    if (r.ok) continue;
    for (const reason of r.reasons) out.set(reason, (out.get(reason) ?? 0) + 1);
  }
  return out;
}

/**
 * Kubernetes' message: `0/5 nodes are available: 3 Insufficient memory, 2 node(s) didn't match
 * node selector.` A node may count under several reasons (cpu and memory both short). Most
 * frequent reason first, then alphabetical, so the message is stable from one attempt to the next.
 */
export function unschedulableMessage(total: number, reasons: ReadonlyMap<string, number>): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const parts = [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`);
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/** Kubernetes' adaptive share of a large cluster to find feasible nodes in before scoring. */
export function nodesToFind(total: number, percentage: number): number {
  const minFeasible = 100;
  if (total < minFeasible) return total;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - total / 125);
  return Math.min(total, Math.max(minFeasible, Math.floor((total * pct) / 100)));
}
