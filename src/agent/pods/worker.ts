// What the pod manager remembers about each pod between passes. The runtime is the truth for
// what runs; this holds only what the runtime cannot tell: back-off, probe tallies, why a
// container is waiting, the condition history.
import type { Condition, PodStatus } from '../../api/schemas.js';
import type { PodBundle, PodStatusReport } from '../../protocol/messages.js';
import type { ContainerInfo, Sandbox } from '../runtime/runtime.js';
import type { BackoffState } from './backoff.js';
import type { ProbeTally } from './probes.js';

export interface Waiting {
  reason: string;
  message?: string;
}

export interface ContainerTrack {
  name: string;
  init: boolean;
  /** Restart count of the newest instance seen (-1: none yet). */
  restartCount: number;
  backoff?: BackoffState;
  /** The exited instance whose exit was counted for back-off (each exit counts once). */
  handledExit?: string;
  /** Set while the agent works on the container or cannot start it. */
  waiting?: Waiting;
  /** Earliest retry after a failed start (image pull, config error), and how many failed in a row. */
  retryAt?: number;
  startFailures: number;
  /** The running instance being probed and since when it runs (agent clock). */
  instanceId?: string;
  runningSince?: number;
  probes: ProbeTally[];
}

export interface PodWorker {
  uid: string;
  bundle: PodBundle;
  tracks: Map<string, ContainerTrack>;
  /** Details of the current sandbox (IP, published ports), fetched once per sandbox id. */
  sandbox?: Sandbox;
  /** A pod task (start, stop, ...) is running: the next pass leaves the pod alone. */
  busy: boolean;
  /**
   * The pod manager's pass sequence number when the pod's last task ended. A pass that began
   * (and listed the runtime) before that saw the pod as it was before the task: it neither plans
   * nor reports the pod (the pass the task's end asks for does).
   */
  touched: number;
  /** Earliest retry after the sandbox could not be made, and how many attempts failed in a row. */
  retryAt?: number;
  sandboxFailures: number;
  /** Hash of the volume sources last written. */
  volumesKey?: string;
  /** Succeeded or Failed: nothing restarts any more. */
  terminal?: 'Succeeded' | 'Failed';
  /** Deletion done: every container is gone and that was reported. */
  terminated: boolean;
  finalStatus?: PodStatus;
  firstSeen: number;
  conditions?: Condition[];
  report?: PodStatusReport;
  /** `report` as sent (JSON), to tell a changed report from a repeat. */
  reportKey?: string;
}

/** What the runtime runs for one pod. */
export interface ObservedPod {
  sandboxes: ContainerInfo[];
  /** Instances by container name, oldest first (by restart count). */
  containers: Map<string, ContainerInfo[]>;
}

export function newWorker(bundle: PodBundle, now: number): PodWorker {
  return { uid: bundle.pod.metadata.uid!, bundle, tracks: new Map(), busy: false, touched: 0, sandboxFailures: 0, terminated: false, firstSeen: now, conditions: bundle.pod.status?.conditions };
}

export function trackFor(w: PodWorker, name: string, init: boolean): ContainerTrack {
  let t = w.tracks.get(name);
  if (!t) {
    t = { name, init, restartCount: -1, probes: [], startFailures: 0 };
    w.tracks.set(name, t);
  }
  return t;
}

export function groupObserved(list: ContainerInfo[]): Map<string, ObservedPod> {
  const pods = new Map<string, ObservedPod>();
  for (const c of list) {
    let p = pods.get(c.pod.uid);
    if (!p) {
      p = { sandboxes: [], containers: new Map() };
      pods.set(c.pod.uid, p);
    }
    if (c.isSandbox) p.sandboxes.push(c);
    else {
      const arr = p.containers.get(c.name) ?? [];
      arr.push(c);
      p.containers.set(c.name, arr);
    }
  }
  for (const p of pods.values()) {
    for (const arr of p.containers.values()) arr.sort((a, b) => a.restartCount - b.restartCount || (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  }
  return pods;
}

export function latest<T>(arr: T[] | undefined): T | undefined {
  return arr?.[arr.length - 1];
}
