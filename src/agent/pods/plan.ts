// One pod's decision for one pass: given what the runtime runs and what the agent remembers,
// which actions (start, restart, kill, tear down, terminate) to take and when to look again.
// No I/O: the manager runs the actions.
import type { Container, Pod } from '../../api/schemas.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import { nextBackoff, type BackoffOptions } from './backoff.js';
import { sandboxMatches } from './hash.js';
import { latest, trackFor, type ContainerTrack, type ObservedPod, type PodWorker } from './worker.js';

export interface StartSpec {
  name: string;
  init: boolean;
  restartCount: number;
  /** Older instances to remove before the new one starts (one previous stays, for logs --previous). */
  removeIds: string[];
}

export type Action =
  | { do: 'terminate'; grace: number }
  | { do: 'teardown'; ids: string[]; grace: number; why: string }
  | { do: 'remove'; ids: string[] }
  | { do: 'createSandbox' }
  | { do: 'refreshVolumes' }
  | { do: 'start'; specs: StartSpec[] }
  | { do: 'kill'; id: string; grace: number; why: string };

export interface Plan {
  actions: Action[];
  /** Look at the pod again by then (back-off expiry, retry). */
  wakeAt?: number;
}

export interface PlanContext {
  now: number;
  backoff: BackoffOptions;
  /** Hash of the bundle's volume sources (volumes need a refresh when it differs). */
  volumesKey: string;
}

export function podGraceSeconds(pod: Pod): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

export function allIds(obs: ObservedPod | undefined): string[] {
  if (!obs) return [];
  return [...[...obs.containers.values()].flat().map((c) => c.id), ...obs.sandboxes.map((s) => s.id)];
}

/** The running sandbox made for the pod's current spec. */
export function currentSandbox(obs: ObservedPod | undefined, pod: Pod): ContainerInfo | undefined {
  return obs?.sandboxes.find((s) => s.state === 'running' && sandboxMatches(s.labels, pod));
}

export function shouldRestart(pod: Pod, exitCode: number | undefined): boolean {
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

function ranMs(t: ContainerTrack, c: ContainerInfo, now: number): number | undefined {
  if (t.instanceId === c.id && t.runningSince !== undefined) return now - t.runningSince;
  const s = Date.parse(c.startedAt ?? ''), f = Date.parse(c.finishedAt ?? '');
  return Number.isFinite(s) && Number.isFinite(f) ? f - s : undefined;
}

/** Count an exit once for back-off; returns when the container may start again. */
function noteExit(t: ContainerTrack, c: ContainerInfo, ctx: PlanContext): number {
  if (t.handledExit !== c.id) {
    t.backoff = nextBackoff(t.backoff, ranMs(t, c, ctx.now), ctx.now, ctx.backoff);
    t.handledExit = c.id;
    t.instanceId = undefined;
    t.runningSince = undefined;
  }
  return t.backoff?.notBefore ?? ctx.now;
}

function observe(t: ContainerTrack, cur: ContainerInfo | undefined, now: number): void {
  if (!cur) return;
  t.restartCount = Math.max(t.restartCount, cur.restartCount);
  if (cur.state === 'running' && t.instanceId !== cur.id) {
    t.instanceId = cur.id;
    t.runningSince = now;
    t.probes = [];
    t.waiting = undefined;
  }
}

/**
 * The containers a task just started, seen running: tracked from now (probes start over), so
 * the report made right after the start already says ready for a container with no readiness
 * or startup probe, as the kubelet does, instead of waiting for the next pass to notice.
 */
export function noteStarted(w: PodWorker, obs: ObservedPod, names: readonly string[], now: number): void {
  for (const name of names) {
    const t = w.tracks.get(name);
    if (t) observe(t, latest(obs.containers.get(name) ?? []), now);
  }
}

type Step = { kind: 'wait' } | { kind: 'done' } | { kind: 'failed' } | { kind: 'start'; spec: StartSpec } | { kind: 'later'; at: number } | { kind: 'kill'; id: string; why: string };

/** What to do about one container (init or app). */
function step(w: PodWorker, c: Container, init: boolean, obs: ObservedPod, ctx: PlanContext): Step {
  const t = trackFor(w, c.name, init);
  const instances = obs.containers.get(c.name) ?? [];
  const cur = latest(instances);
  observe(t, cur, ctx.now);
  const fresh = (restartCount: number, removeIds: string[]): Step =>
    t.retryAt !== undefined && t.retryAt > ctx.now ? { kind: 'later', at: t.retryAt } : { kind: 'start', spec: { name: c.name, init, restartCount, removeIds } };
  if (!cur) return fresh(t.restartCount < 0 ? 0 : t.restartCount + 1, []);
  if (cur.state === 'created' || cur.state === 'unknown') return fresh(cur.restartCount, [cur.id]);
  if (cur.state === 'running') {
    const failed = t.probes.find((p) => (p.kind === 'liveness' || p.kind === 'startup') && p.verdict === false);
    if (failed) return { kind: 'kill', id: cur.id, why: `${failed.kind} probe failed: ${failed.lastMessage ?? ''}`.trim() };
    return init ? { kind: 'wait' } : { kind: 'done' };
  }
  // Exited.
  if (init && cur.exitCode === 0) return { kind: 'done' };
  if (!shouldRestart(w.bundle.pod, cur.exitCode)) return init ? { kind: 'failed' } : { kind: 'done' };
  const at = noteExit(t, cur, ctx);
  if (at > ctx.now) return { kind: 'later', at };
  // Keep the newest exited instance (logs --previous); older ones go.
  return fresh(cur.restartCount + 1, instances.slice(0, -1).map((i) => i.id));
}

function earliest(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}

/** Every app container has exited and none will restart: the pod's final phase. */
function terminalPhase(w: PodWorker, obs: ObservedPod): 'Succeeded' | 'Failed' | undefined {
  const pod = w.bundle.pod;
  const last = pod.spec.containers.map((c) => latest(obs.containers.get(c.name)));
  if (last.some((c) => !c || c.state !== 'exited' || shouldRestart(pod, c.exitCode))) return undefined;
  return last.every((c) => c!.exitCode === 0) ? 'Succeeded' : 'Failed';
}

export function planPod(w: PodWorker, obs: ObservedPod | undefined, ctx: PlanContext): Plan {
  const pod = w.bundle.pod;
  const grace = podGraceSeconds(pod);
  if (pod.metadata.deletionTimestamp) return { actions: w.terminated ? [] : [{ do: 'terminate', grace }] };
  if (w.terminal) return { actions: [] };
  const sandboxes = obs?.sandboxes ?? [];
  const good = currentSandbox(obs, pod);
  if (!good || !obs) {
    const ids = allIds(obs);
    if (ids.length === 0 && w.retryAt !== undefined && w.retryAt > ctx.now) return { actions: [], wakeAt: w.retryAt };
    if (ids.length > 0) return { actions: [{ do: 'teardown', ids, grace, why: sandboxes.length > 0 ? 'the pod sandbox stopped or its spec changed' : 'containers without a sandbox' }] };
    return { actions: [{ do: 'createSandbox' }] };
  }
  const actions: Action[] = [];
  const stray = sandboxes.filter((s) => s !== good).map((s) => s.id);
  if (stray.length > 0) actions.push({ do: 'remove', ids: stray });
  if (w.volumesKey !== ctx.volumesKey) actions.push({ do: 'refreshVolumes' });

  let wakeAt: number | undefined;
  const starts: StartSpec[] = [];
  // Init containers one at a time, each to completion, in order.
  for (const c of pod.spec.initContainers ?? []) {
    const s = step(w, c, true, obs, ctx);
    if (s.kind === 'done') continue;
    if (s.kind === 'failed') {
      w.terminal = 'Failed';
      return { actions };
    }
    if (s.kind === 'start') starts.push(s.spec);
    else if (s.kind === 'later') wakeAt = s.at;
    else if (s.kind === 'kill') actions.push({ do: 'kill', id: s.id, grace, why: s.why });
    if (starts.length > 0) actions.push({ do: 'start', specs: starts });
    return { actions, wakeAt };
  }
  for (const c of pod.spec.containers) {
    const s = step(w, c, false, obs, ctx);
    if (s.kind === 'start') starts.push(s.spec);
    else if (s.kind === 'later') wakeAt = earliest(wakeAt, s.at);
    else if (s.kind === 'kill') actions.push({ do: 'kill', id: s.id, grace: probeGrace(c, grace), why: s.why });
  }
  if (starts.length > 0) actions.push({ do: 'start', specs: starts });
  else if (wakeAt === undefined) w.terminal = terminalPhase(w, obs);
  return { actions, wakeAt };
}

function probeGrace(c: Container, podGrace: number): number {
  return c.livenessProbe?.terminationGracePeriodSeconds ?? c.startupProbe?.terminationGracePeriodSeconds ?? podGrace;
}
