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

// Worked out once per reading (cached objects are never mutated): the score runs per node per
// pod, and only whether the reading is still fresh depends on the moment.
const byReading = new WeakMap<object, { at: number; score: number }>();

function readingScore(u: NonNullable<NodeInfo['node']['status']>['usage'] & object): { at: number; score: number } {
  let r = byReading.get(u);
  if (r === undefined) {
    // Readings without a time are taken as current.
    const at = u.timestamp === undefined ? Number.POSITIVE_INFINITY : Date.parse(u.timestamp);
    let score = 100 - Math.max(u.cpuPercent ?? 0, u.memoryPercent ?? 0);
    const temp = u.temperatureCelsius;
    if (temp !== undefined && temp > warmCelsius) score *= Math.max(0, (hotCelsius - temp) / (hotCelsius - warmCelsius));
    if (u.throttled === true) score *= 0.25;
    r = { at, score: Math.max(0, Math.min(100, Math.round(score))) };
    byReading.set(u, r);
  }
  return r;
}

export function usageScore(ni: NodeInfo, ctx: SchedulingContext): number {
  const u = ni.node.status?.usage;
  if (!u || (u.cpuPercent === undefined && u.memoryPercent === undefined)) return unknownUsageScore;
  const r = readingScore(u);
  const fresh = r.at === Number.POSITIVE_INFINITY || (Number.isFinite(r.at) && ctx.now - r.at <= ctx.config.usageMaxAgeMs);
  return fresh ? r.score : unknownUsageScore;
}

export const liveUsage: ScorePlugin = {
  name: 'LiveUsage',
  score: (_pod, ni, ctx) => usageScore(ni, ctx),
};
