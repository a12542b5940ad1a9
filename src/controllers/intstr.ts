// maxSurge / maxUnavailable: an absolute count or a percentage of a total, rounded as Kubernetes does.
export class IntOrPercentError extends Error {
  constructor(value: string) {
    super(`invalid value "${value}": expected an integer or a percentage such as "25%"`);
    this.name = 'IntOrPercentError';
  }
}

/** `25%` of 10 is 2.5: 3 with roundUp (surge), 2 without (unavailable). Undefined counts as 0. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new IntOrPercentError(value);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * maxSurge and maxUnavailable of a rolling update over `replicas`: surge rounds up, unavailable
 * rounds down; when both come out 0, one pod may be unavailable (otherwise nothing could move).
 */
export function surgeAndUnavailable(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, replicas: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, replicas, true);
  let unavailable = scaledValue(maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}
