// Scores on requests: least-allocated (spread load over nodes) or most-allocated (bin-pack, so
// idle Pis can be powered down) by the cluster's `scoring` setting, and balanced allocation
// (prefer nodes where cpu and memory would be used in similar proportions).
import type { NodeInfo, PodInfo, ScorePlugin } from '../types.js';

function frac(used: number, alloc: number): number {
  return alloc <= 0 ? 1 : Math.min(1, used / alloc);
}

/** Fractions of allocatable cpu and memory in use once the pod is placed (non-zero requests). */
function cpuFraction(pod: PodInfo, ni: NodeInfo): number {
  return frac(ni.nonZeroRequested.cpu + pod.nonZero.cpu, ni.allocatable.cpu);
}

function memoryFraction(pod: PodInfo, ni: NodeInfo): number {
  return frac(ni.nonZeroRequested.memory + pod.nonZero.memory, ni.allocatable.memory);
}

export const allocationScore: ScorePlugin = {
  name: 'NodeResourcesFit',
  score: (pod, ni, ctx) => {
    const used = (cpuFraction(pod, ni) + memoryFraction(pod, ni)) / 2;
    return Math.round(100 * (ctx.config.scoring === 'binpack' ? used : 1 - used));
  },
};

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  score: (pod, ni) => {
    const cpu = cpuFraction(pod, ni);
    const mem = memoryFraction(pod, ni);
    // Kubernetes: (1 - standard deviation of the fractions) × 100; for two values std = |a-b|/2.
    return Math.round(100 * (1 - Math.abs(cpu - mem) / 2));
  },
};
