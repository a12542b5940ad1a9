// Node conditions from one reading. Thresholds follow the kubelet's default hard eviction
// signals (memory.available < 100Mi, nodefs.available < 10%), plus PIDs above 90% of pid_max.
import type { Condition } from '../../api/schemas.js';
import type { UsageSample } from './source.js';

export interface RuntimeHealth {
  ok: boolean;
  /** Why not (error message and its hint). */
  message?: string;
}

export const memoryPressureBytes = 100 * 2 ** 20;
export const diskPressureFraction = 0.1;
export const pidPressureFraction = 0.9;

type Verdict = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

export function readyCondition(runtime: RuntimeHealth): Verdict {
  return runtime.ok
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bramble agent is posting ready status' }
    : { type: 'Ready', status: 'False', reason: 'ContainerRuntimeUnavailable', message: runtime.message ?? 'container runtime is unavailable' };
}

export function memoryCondition(s: UsageSample): Verdict {
  if (s.memoryAvailableBytes === undefined) return { type: 'MemoryPressure', status: 'Unknown', reason: 'NoReading', message: 'memory availability is not reported' };
  return s.memoryAvailableBytes < memoryPressureBytes
    ? { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: `node has ${Math.round(s.memoryAvailableBytes / 2 ** 20)}Mi of memory available (< 100Mi)` }
    : { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'node has sufficient memory available' };
}

export function diskCondition(s: UsageSample): Verdict {
  if (s.diskFreeBytes === undefined || !s.diskTotalBytes) return { type: 'DiskPressure', status: 'Unknown', reason: 'NoReading', message: 'disk space is not reported' };
  const free = s.diskFreeBytes / s.diskTotalBytes;
  return free < diskPressureFraction
    ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: `only ${(free * 100).toFixed(1)}% of the data dir's filesystem is free (< 10%)` }
    : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'node has no disk pressure' };
}

export function pidCondition(s: UsageSample): Verdict {
  if (s.pids === undefined || !s.pidMax) return { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'node has sufficient PID available' };
  return s.pids > s.pidMax * pidPressureFraction
    ? { type: 'PIDPressure', status: 'True', reason: 'KubeletHasInsufficientPID', message: `${s.pids} of ${s.pidMax} PIDs in use` }
    : { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'node has sufficient PID available' };
}

/**
 * Stamp verdicts with times: lastHeartbeatTime is now; lastTransitionTime carries over from
 * the previous condition of the same type while its status is unchanged.
 */
export function stampConditions(verdicts: Verdict[], previous: Condition[] | undefined, now: string): Condition[] {
  return verdicts.map((v) => {
    const prev = previous?.find((c) => c.type === v.type);
    const transition = prev && prev.status === v.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...v, lastHeartbeatTime: now, lastTransitionTime: transition };
  });
}
