// Restart back-off as the kubelet does it: the first restart is immediate, then 10 s, 20 s,
// 40 s ... capped at 5 min; a container that ran long enough (10 min) starts over.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** A run at least this long resets the back-off. */
  resetAfterMs: number;
}

export const kubeletBackoff: BackoffOptions = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface BackoffState {
  /** Restarts since the last reset. */
  failures: number;
  /** Earliest time the next start may happen. */
  notBefore: number;
  /** The delay that produced notBefore (for the CrashLoopBackOff message). */
  delayMs: number;
}

export function delayFor(failures: number, o: BackoffOptions): number {
  if (failures <= 0) return 0;
  return Math.min(o.maxMs, o.baseMs * 2 ** Math.min(failures - 1, 30));
}

/** A container exited at `now` after running `ranMs`: when may it start again? */
export function nextBackoff(prev: BackoffState | undefined, ranMs: number | undefined, now: number, o: BackoffOptions): BackoffState {
  const failures = prev && (ranMs === undefined || ranMs < o.resetAfterMs) ? prev.failures : 0;
  const delayMs = delayFor(failures, o);
  return { failures: failures + 1, notBefore: now + delayMs, delayMs };
}

export function formatDelay(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60 || s % 60 !== 0) return `${s}s`;
  return `${s / 60}m0s`;
}
