// LiveUsage (Bramble): the agents' live readings (status.usage). Requests say what pods asked
// for; a Pi can still be busy with work outside them (or with pods that asked for nothing) or
// be throttling for heat. A node at 90 % CPU, hot or throttled scores lower even if its
// requests look free.
import type { NodeInfo, ScorePlugin, SchedulingContext } from '../types.js';

/** Neutral score for a node without fresh readings: neither preferred nor avoided. */
export const unknownUsageScore = 50;
/** Raspberry Pi firmware starts soft throttling around 80 °C; scores fall from here to there. */
const warmCelsius = 70;
const hotCelsius = 80;

// Parsed once per Node object (cached objects are never mutated): the score runs per node per pod.
const readAt = new WeakMap<object, number>();

function fresh(ni: NodeInfo, ctx: SchedulingContext): boolean {
  const u = ni.node.status?.usage;
  if (u?.timestamp === undefined) return true; // readings without a time are taken as current
  let t = readAt.get(u);
  if (t === undefined) {
    t = Date.parse(u.timestamp);
    readAt.set(u, t);
  }
  return Number.isFinite(t) && ctx.now - t <= ctx.config.usageMaxAgeMs;
}

export function usageScore(ni: NodeInfo, ctx: SchedulingContext): number {
  const u = ni.node.status?.usage;
  if (!u || (u.cpuPercent === undefined && u.memoryPercent === undefined) || !fresh(ni, ctx)) return unknownUsageScore;
  let score = 100 - Math.max(u.cpuPercent ?? 0, u.memoryPercent ?? 0);
  const temp = u.temperatureCelsius;
  if (temp !== undefined && temp > warmCelsius) score *= Math.max(0, (hotCelsius - temp) / (hotCelsius - warmCelsius));
  if (u.throttled === true) score *= 0.25;
  return Math.max(0, Math.min(100, Math.round(score)));
}

export const liveUsage: ScorePlugin = {
  name: 'LiveUsage',
  score: (_pod, ni, ctx) => usageScore(ni, ctx),
};
