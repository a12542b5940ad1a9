// Starting one container of a pod: image (per pull policy, progress shown as the waiting
// message), environment, mounts, limits; then create and start in the pod's sandbox.
// A failure is recorded on the container's track as Kubernetes' waiting reasons say it.
import type { Container, Pod } from '../../api/schemas.js';
import { cpuMillis, memoryBytes } from '../../api/quantity.js';
import type { PodBundle } from '../../protocol/messages.js';
import { ImageNotFoundError, RuntimeUnavailableError, type ContainerConfig, type ContainerRuntime, type ImagePullPolicy, type PodRef, type Sandbox } from '../runtime/runtime.js';
import { delayFor, type BackoffOptions } from './backoff.js';
import { ContainerConfigError, expandArgs, resolveEnv } from './env.js';
import { containerMounts } from './volumes.js';
import type { ContainerTrack } from './worker.js';

export interface StartContext {
  nodeName: string;
  dataDir: string;
  hostIP: string;
  runtime: ContainerRuntime;
  now: () => number;
  backoff: BackoffOptions;
  nodeCpuMillis: number;
  nodeMemoryBytes: number;
  /** Called when the pull progress message changes noticeably (so status is reported). */
  onProgress: () => void;
  /** Service environment variables (below envFrom and env, which win). */
  serviceEnv?: (pod: Pod) => Record<string, string>;
}

/** Kubernetes' default: Always for :latest or an untagged image, else IfNotPresent. */
export function pullPolicy(c: Container): ImagePullPolicy {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function podRef(pod: Pod, node: string): PodRef {
  return { node, namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

export function containerConfig(c: Container, bundle: PodBundle, sandbox: Sandbox, restartCount: number, ctx: StartContext): ContainerConfig {
  const pod = bundle.pod;
  const env = resolveEnv(c, {
    pod, configMaps: bundle.configMaps, secrets: bundle.secrets, nodeName: ctx.nodeName,
    podIP: sandbox.ip, hostIP: ctx.hostIP, nodeCpuMillis: ctx.nodeCpuMillis, nodeMemoryBytes: ctx.nodeMemoryBytes,
    serviceEnv: ctx.serviceEnv?.(pod),
  });
  const limits = c.resources?.limits;
  const requests = c.resources?.requests;
  const sc = c.securityContext;
  const runAsUser = sc?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? pod.spec.securityContext?.runAsGroup;
  return {
    pod: podRef(pod, ctx.nodeName),
    name: c.name,
    image: c.image ?? '',
    command: expandArgs(c.command, env),
    args: expandArgs(c.args, env),
    env,
    workingDir: c.workingDir,
    mounts: containerMounts(ctx.dataDir, pod, c),
    cpuMillis: limits?.cpu !== undefined ? cpuMillis(limits.cpu) : undefined,
    memoryBytes: limits?.memory !== undefined ? memoryBytes(limits.memory) : undefined,
    cpuRequestMillis: requests?.cpu !== undefined ? cpuMillis(requests.cpu) : undefined,
    privileged: sc?.privileged,
    user: runAsUser !== undefined ? `${runAsUser}${runAsGroup !== undefined ? `:${runAsGroup}` : ''}` : undefined,
    tty: c.tty,
    stdin: c.stdin,
    restartCount,
  };
}

function percent(current: number | undefined, total: number | undefined): number | undefined {
  return current !== undefined && total ? Math.min(100, Math.floor((current / total) * 100)) : undefined;
}

/** Pull (per policy), create and start; on failure the track says why and when to retry. */
export async function startContainer(c: Container, bundle: PodBundle, sandbox: Sandbox, restartCount: number, t: ContainerTrack, ctx: StartContext): Promise<string | undefined> {
  const image = c.image ?? '';
  try {
    let shown = -10;
    await ctx.runtime.ensureImage(image, pullPolicy(c), (p) => {
      const pct = percent(p.current, p.total);
      t.waiting = { reason: 'ContainerCreating', message: pct !== undefined ? `pulling image ${image}: ${pct}%` : `pulling image ${image}: ${p.status}` };
      if (pct === undefined || pct - shown >= 10) {
        shown = pct ?? shown;
        ctx.onProgress();
      }
    });
    const cfg = containerConfig(c, bundle, sandbox, restartCount, ctx);
    const id = await ctx.runtime.createContainer(sandbox.id, cfg);
    await ctx.runtime.startContainer(id);
    t.waiting = undefined;
    t.retryAt = undefined;
    t.startFailures = 0;
    return id;
  } catch (err) {
    t.startFailures++;
    t.retryAt = ctx.now() + delayFor(t.startFailures, ctx.backoff);
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof ImageNotFoundError) t.waiting = { reason: t.startFailures > 1 ? 'ImagePullBackOff' : 'ErrImagePull', message: msg };
    else if (err instanceof ContainerConfigError) t.waiting = { reason: 'CreateContainerConfigError', message: msg };
    else if (err instanceof RuntimeUnavailableError) {
      t.waiting = { reason: 'ContainerCreating', message: `${msg}. ${err.hint}` };
      throw err;
    } else t.waiting = { reason: 'RunContainerError', message: msg };
    return undefined;
  }
}
