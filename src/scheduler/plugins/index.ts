// The default plugin sets, in the order filters run (cheap and decisive first, like Kubernetes).
import type { FilterPlugin, ScorePlugin } from '../types.js';
import { hostPorts } from './host-ports.js';
import { liveUsage } from './live-usage.js';
import { nodeAffinity, nodeSelector, preferredAffinity } from './node-affinity.js';
import { nodeReady, nodeUnschedulable } from './node-status.js';
import { ownerSpread } from './owner-spread.js';
import { allocationScore, balancedAllocation } from './resource-scores.js';
import { resourcesFit } from './resources-fit.js';
import { taintPreference, taintToleration } from './taints.js';

export const defaultFilters: readonly FilterPlugin[] = [
  nodeUnschedulable, nodeReady, nodeSelector, nodeAffinity, taintToleration, hostPorts, resourcesFit,
];

export const defaultScores: readonly ScorePlugin[] = [
  allocationScore, balancedAllocation, ownerSpread, preferredAffinity, taintPreference, liveUsage,
];
