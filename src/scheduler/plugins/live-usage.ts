// LiveUsage (Bramble): the agents' live readings (status.usage). Requests say what pods asked
// for; a Pi can still be busy with work outside them (or with pods that asked for nothing) or
// be throttling for heat. A node at 90 % CPU, hot or throttled scores lower even if its
// requests look free.
import type { Node } from '../../api/schemas.js';
import type { NodeInfo, ScorePlugin, SchedulingContext, UsageReading } from '../types.js';

/** Neutral score for a node without fresh readings: neither preferred nor avoided. */
export const unknownUsageScore = 50;
/** Raspberry Pi firmware starts soft throttling around 80 °C; scores fall from here to there. */
const warmCelsius = 70;
const hotCelsius = 80;

/**
 * A node's live reading as the score uses it: worked out once per Node version (in its
 * NodeInfo), since the score runs per node per pod and only the reading's freshness depends on
 * the moment. Undefined without CPU or memory figures.
 */
export function usageReading(node: Node): UsageReading | undefined {
  const u = node.status?.usage;
  if (!u || (u.cpuPercent === undefined && u.memoryPercent === undefined)) return undefined;
  // Readings without a time are taken as current; an unparsable time is never fresh (NaN).
  const at = u.timestamp === undefined ? Number.POSITIVE_INFINITY : Date.parse(u.timestamp);
  let score = 100 - Math.max(u.cpuPercent ?? 0, u.memoryPercent ?? 0);
  const temp = u.temperatureCelsius;
  if (temp !== undefined && temp > warmCelsius) score *= Math.max(0, (hotCelsius - temp) / (hotCelsius - warmCelsius));
  if (u.throttled === true) score *= 0.25;
  return { at, score: Math.max(0, Math.min(100, Math.round(score))) };
}

export function usageScore(ni: NodeInfo, ctx: SchedulingContext): number {
  const r = ni.usage;
  if (r === undefined) return unknownUsageScore;
  const fresh = r.at === Number.POSITIVE_INFINITY || ctx.now - r.at <= ctx.config.usageMaxAgeMs;
  return fresh ? r.score : unknownUsageScore;
}

export const liveUsage: ScorePlugin = {
  name: 'LiveUsage',
  score: (_pod, ni, ctx) => usageScore(ni, ctx),
};
