// A pod's status as the node sees it: phase, conditions, one ContainerStatus per container,
// IPs, start time and the published ports (Bramble's portMappings).
import type { Condition, Container, ContainerState, ContainerStatus, PodStatus } from '../../api/schemas.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import { formatDelay } from './backoff.js';
import { shouldRestart } from './plan.js';
import { latest, type ContainerTrack, type ObservedPod, type PodWorker } from './worker.js';

export interface StatusContext {
  now: number;
  hostIP: string;
  /** Prefix of container IDs ("docker" → docker://abc...). */
  runtimeName: string;
  /** The pod is being deleted: no restart is pending whatever the policy. */
  deleting?: boolean;
}

function terminatedState(c: ContainerInfo, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

/** As the kubelet: a probe the spec has decides once it passed; a container without one is started and ready while it runs. */
function isReady(spec: Container, t: ContainerTrack | undefined, cur: ContainerInfo | undefined): { ready: boolean; started: boolean } {
  if (!t || !cur || cur.state !== 'running' || t.instanceId !== cur.id) return { ready: false, started: false };
  const passed = (kind: 'startup' | 'readiness'): boolean => t.probes.some((p) => p.kind === kind && p.verdict === true);
  const started = spec.startupProbe ? passed('startup') : true;
  return { started, ready: started && (spec.readinessProbe ? passed('readiness') : true) };
}

function containerStatus(w: PodWorker, spec: Container, init: boolean, obs: ObservedPod | undefined, ctx: StatusContext, initDone: boolean): ContainerStatus {
  const t = w.tracks.get(spec.name);
  const instances = obs?.containers.get(spec.name) ?? [];
  const cur = latest(instances);
  const prev = instances.length > 1 ? instances[instances.length - 2] : undefined;
  let state: ContainerState;
  let lastState: ContainerState = prev?.state === 'exited' ? terminatedState(prev, ctx.runtimeName) : {};
  if (t?.waiting && cur?.state !== 'running') state = { waiting: { ...t.waiting } };
  else if (!cur) state = { waiting: { reason: !init && !initDone ? 'PodInitializing' : 'ContainerCreating' } };
  else if (cur.state === 'running') state = { running: cur.startedAt ? { startedAt: cur.startedAt } : {} };
  else if (cur.state === 'exited') {
    const pending = !ctx.deleting && !w.terminal && shouldRestart(w.bundle.pod, cur.exitCode) && t?.handledExit === cur.id && (t.backoff?.notBefore ?? 0) > ctx.now;
    if (pending && !(init && cur.exitCode === 0)) {
      const pod = w.bundle.pod.metadata;
      state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${formatDelay(t.backoff!.delayMs)} restarting failed container=${spec.name} pod=${pod.name}_${pod.namespace ?? 'default'}(${w.uid})` } };
      lastState = terminatedState(cur, ctx.runtimeName);
    } else state = terminatedState(cur, ctx.runtimeName);
  } else state = { waiting: { reason: 'ContainerCreating' } };
  const { ready, started } = init ? { ready: cur?.state === 'exited' && cur.exitCode === 0, started: cur?.state === 'running' } : isReady(spec, t, cur);
  return {
    name: spec.name,
    state,
    lastState,
    ready,
    started,
    restartCount: Math.max(0, cur?.restartCount ?? t?.restartCount ?? 0),
    image: spec.image ?? '',
    imageID: cur?.imageId ?? '',
    ...(cur ? { containerID: `${ctx.runtimeName}://${cur.id}` } : {}),
  };
}

function condition(type: string, ok: boolean, reason?: string, message?: string): Condition {
  return ok ? { type, status: 'True' } : { type, status: 'False', ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** Keep lastTransitionTime while a condition's status stays the same. */
function stamp(conds: Condition[], previous: Condition[] | undefined, now: string): Condition[] {
  return conds.map((c) => {
    const p = previous?.find((x) => x.type === c.type);
    return { ...c, lastTransitionTime: p && p.status === c.status && p.lastTransitionTime ? p.lastTransitionTime : now };
  });
}

export function buildPodStatus(w: PodWorker, obs: ObservedPod | undefined, ctx: StatusContext): PodStatus {
  const pod = w.bundle.pod;
  const inits = pod.spec.initContainers ?? [];
  const initDone = inits.every((c) => {
    const cur = latest(obs?.containers.get(c.name));
    return cur?.state === 'exited' && cur.exitCode === 0;
  }) || (inits.length > 0 && pod.spec.containers.some((c) => obs?.containers.has(c.name)));
  const initStatuses = inits.map((c) => containerStatus(w, c, true, obs, ctx, initDone));
  const statuses = pod.spec.containers.map((c) => containerStatus(w, c, false, obs, ctx, initDone));

  let phase: PodStatus['phase'];
  if (ctx.deleting) phase = statuses.every((s) => s.state?.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (w.terminal) phase = w.terminal;
  else if (!initDone || pod.spec.containers.some((c) => !obs?.containers.has(c.name))) phase = 'Pending';
  else phase = 'Running';

  const notReady = statuses.filter((s) => !s.ready).map((s) => s.name);
  const notInit = initStatuses.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = completed ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
  const now = new Date(ctx.now).toISOString();
  const conditions = stamp([
    condition('PodScheduled', true),
    condition('Initialized', initDone, 'ContainersNotInitialized', `containers with incomplete status: [${notInit.join(' ')}]`),
    condition('ContainersReady', notReady.length === 0, readyReason, readyMessage),
    condition('Ready', notReady.length === 0, readyReason, readyMessage),
  ], w.conditions, now);
  w.conditions = conditions;

  const status: PodStatus = { phase, conditions, hostIP: ctx.hostIP, hostIPs: [{ ip: ctx.hostIP }] };
  const sandboxRunning = obs?.sandboxes.some((s) => s.id === w.sandbox?.id && s.state === 'running');
  if (w.sandbox && sandboxRunning) {
    status.podIP = w.sandbox.ip;
    status.podIPs = [{ ip: w.sandbox.ip }];
    const mappings = w.sandbox.ports.filter((p) => p.hostPort > 0).map((p) => ({
      containerName: p.containerName, ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIP, hostPort: p.hostPort,
    }));
    if (mappings.length > 0) status.portMappings = mappings;
  }
  status.startTime = pod.status?.startTime ?? new Date(w.firstSeen).toISOString();
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  return status;
}
