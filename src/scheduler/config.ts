// Scheduler settings (`bramble master --scheduler-scoring` and MasterOptions.scheduler map onto these).
import type { ScoringConfig } from './types.js';

export interface SchedulerConfig extends ScoringConfig {
  /** First retry delay of a pod that could not be placed; doubles per attempt. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Unschedulable pods are retried at least this often even if nothing in the cluster changes. */
  unschedulableRetryMs: number;
  /**
   * Stop looking for feasible nodes once this share of a large cluster is found (Kubernetes'
   * percentageOfNodesToScore); 0 = adaptive (50 % at 100 nodes down to 5 % at 5625+).
   */
  percentageOfNodesToScore: number;
  /** Evict lower-priority pods for a pod that fits nowhere. */
  preemption: boolean;
  /** Pods whose spec.schedulerName is this (or empty) are ours. */
  schedulerName: string;
}

export const defaultWeights: Readonly<Record<string, number>> = {
  NodeResourcesFit: 1,
  NodeResourcesBalancedAllocation: 1,
  SelectorSpread: 2,
  NodeAffinity: 2,
  TaintToleration: 3,
  LiveUsage: 2,
};

export const defaultSchedulerConfig: SchedulerConfig = {
  scoring: 'spread',
  weights: { ...defaultWeights },
  // Agents report usage every few seconds; a reading a minute old says little about now.
  usageMaxAgeMs: 60_000,
  // Kubernetes' defaults (1 s doubling to 10 s).
  initialBackoffMs: 1000,
  maxBackoffMs: 10_000,
  unschedulableRetryMs: 60_000,
  percentageOfNodesToScore: 0,
  preemption: true,
  schedulerName: 'default-scheduler',
};

export function schedulerConfig(partial: Partial<SchedulerConfig> = {}): SchedulerConfig {
  const c = { ...defaultSchedulerConfig, ...partial, weights: { ...defaultWeights, ...partial.weights } };
  if (c.scoring !== 'spread' && c.scoring !== 'binpack') throw new Error(`scheduler scoring: "${String(c.scoring)}" is not one of spread, binpack`);
  return c;
}
