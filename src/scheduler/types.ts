// The scheduling framework's shapes: what a plugin sees (a pod and one node's info) and what
// it answers. Plugins are pure: no I/O, no clock, no mutation of what they are given, so every
// decision can be replayed in a table test.
import type { Node, Pod } from '../api/schemas.js';
import type { Resources } from './resources.js';

/** A host port a pod holds on its node: Kubernetes compares (hostIP, protocol, hostPort). */
export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

/** A pod as the scheduler keeps it: the object plus what it costs, computed once. */
export interface PodInfo {
  pod: Pod;
  key: string;
  priority: number;
  requests: Resources;
  /** Requests with Kubernetes' non-zero defaults for cpu and memory (scoring only). */
  nonZero: { cpu: number; memory: number };
  hostPorts: HostPort[];
  /** The uid of the controller that owns the pod (ReplicaSet, DaemonSet, ...), if any. */
  ownerUid: string | undefined;
}

/** One node and what is already placed on it (bound, assumed or nominated pods). */
/** A live usage reading: when it was taken (ms; Infinity when undated, NaN when unparsable) and its score. */
export interface UsageReading {
  at: number;
  score: number;
}

export interface NodeInfo {
  node: Node;
  name: string;
  /** The node's Ready condition is True (worked out once per Node object: filters run per node per pod). */
  ready: boolean;
  /** Its live usage reading, scored (plugins/live-usage.ts), also once per Node version. */
  usage: UsageReading | undefined;
  allocatable: Resources;
  /** Pods on the node that hold resources (not Succeeded/Failed). */
  pods: ReadonlyMap<string, PodInfo>;
  requested: Resources;
  nonZeroRequested: { cpu: number; memory: number };
  /** Owner (controller) uid → how many of its pods are on the node. */
  owners: ReadonlyMap<string, number>;
}

export type FilterResult = { ok: true } | { ok: false; reasons: string[]; /** Removing pods cannot fix it (no preemption). */ unresolvable?: boolean };

export const fits: FilterResult = { ok: true };

export interface SchedulingContext {
  /** Milliseconds since the epoch: the decision's "now" (live usage staleness), never read from a clock. */
  now: number;
  config: ScoringConfig;
}

export interface FilterPlugin {
  name: string;
  filter(pod: PodInfo, node: NodeInfo, ctx: SchedulingContext): FilterResult;
  /**
   * True when the filter passes every node for this pod (Kubernetes' PreFilter "Skip"): no
   * selector, no required affinity, no host ports. Asked once per pod instead of once per node.
   */
  skip?(pod: PodInfo): boolean;
}

export interface ScorePlugin {
  name: string;
  /** 0..100, or a raw value that normalize() maps onto 0..100. */
  score(pod: PodInfo, node: NodeInfo, ctx: SchedulingContext): number;
  /** Rescales the raw scores of all feasible nodes in place (Kubernetes' NormalizeScore). */
  normalize?(scores: number[]): void;
  /**
   * True when the plugin would give every node the same score for this pod (no preferred
   * affinity, no owner): the same amount added to every node never changes the winner.
   */
  skip?(pod: PodInfo): boolean;
}

export type ScoringStrategy = 'spread' | 'binpack';

/** What the score plugins read from the cluster's configuration. */
export interface ScoringConfig {
  scoring: ScoringStrategy;
  /** Plugin name → weight; a weight of 0 turns a score plugin off. */
  weights: Record<string, number>;
  /** Live usage older than this is ignored (the node scores neutral). */
  usageMaxAgeMs: number;
}
