// Pure translations between Bramble's runtime contract and Docker Engine API objects:
// create options for sandboxes and app containers, and inspect answers back to
// ContainerInfo / Sandbox. No I/O here, so all of it is unit-tested without an engine.
import type { ContainerCreateOptions } from 'dockerode';
import {
  runtimeLabels,
  type ContainerConfig,
  type ContainerInfo,
  type ContainerStateName,
  type PodRef,
  type PortBinding,
  type PublishedPort,
  type Sandbox,
  type SandboxConfig,
} from './runtime.js';
import type { EngineContainer, EnginePortMap } from './docker-types.js';

export { containerName, sandboxName } from './names.js';

/** Private to the Docker runtime: the sandbox's requested bindings, to report them after an agent restart. */
export const portsLabel = 'dev.bramble.sandbox.ports';

/** The pause process: docker-init (Init: true) is PID 1 and forwards SIGTERM, so stop is immediate. */
export const pauseCommand = ['/bin/busybox', 'sleep', '2147483647'];

function podLabels(pod: PodRef): Record<string, string> {
  return {
    [runtimeLabels.managed]: 'true',
    [runtimeLabels.node]: pod.node,
    [runtimeLabels.namespace]: pod.namespace,
    [runtimeLabels.pod]: pod.name,
    [runtimeLabels.uid]: pod.uid,
  };
}

export function portKey(p: Pick<PortBinding, 'containerPort' | 'protocol'>): string {
  return `${p.containerPort}/${p.protocol.toLowerCase()}`;
}

export function sandboxCreateOptions(cfg: SandboxConfig, image: string, name: string): ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of cfg.ports) {
    const key = portKey(p);
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIP, HostPort: p.hostPort > 0 ? String(p.hostPort) : '' });
  }
  return {
    name,
    Image: image,
    Cmd: pauseCommand,
    Hostname: cfg.hostname,
    // Extra labels first: they must never override the ones that identify our objects.
    Labels: { ...cfg.labels, ...podLabels(cfg.pod), [runtimeLabels.sandbox]: 'true', [portsLabel]: JSON.stringify(cfg.ports) },
    ExposedPorts: exposed,
    HostConfig: {
      Init: true,
      PortBindings: bindings,
      // App containers join its IPC namespace (as in a Kubernetes pod).
      IpcMode: 'shareable',
      RestartPolicy: { Name: 'no' },
      // The pause process needs next to nothing; a cap keeps a runaway bug from hurting a Pi.
      Memory: 16 * 1024 * 1024,
    },
  };
}

/** CPU shares from a request in millicores, as the kubelet computes them (minimum 2). */
export function cpuShares(millis: number): number {
  return Math.max(2, Math.round((millis * 1024) / 1000));
}

export function containerCreateOptions(sandboxId: string, cfg: ContainerConfig, name: string): ContainerCreateOptions {
  const labels = {
    ...podLabels(cfg.pod),
    [runtimeLabels.container]: cfg.name,
    [runtimeLabels.restartCount]: String(cfg.restartCount),
  };
  // Kubernetes semantics: `command` replaces ENTRYPOINT (and drops the image's CMD: the engine
  // does not merge an image CMD once Entrypoint is set); `args` replaces CMD.
  const hasCommand = cfg.command !== undefined && cfg.command.length > 0;
  const hasArgs = cfg.args !== undefined && cfg.args.length > 0;
  return {
    name,
    Image: cfg.image,
    ...(hasCommand ? { Entrypoint: cfg.command } : {}),
    ...(hasArgs ? { Cmd: cfg.args } : {}),
    Env: Object.entries(cfg.env).map(([k, v]) => `${k}=${v}`),
    ...(cfg.workingDir ? { WorkingDir: cfg.workingDir } : {}),
    ...(cfg.user ? { User: cfg.user } : {}),
    Tty: cfg.tty ?? false,
    OpenStdin: cfg.stdin ?? false,
    Labels: labels,
    HostConfig: {
      // Shared network (one IP, one localhost) and IPC with the sandbox. PID stays private, as
      // Kubernetes' default (shareProcessNamespace: false): each container's init is its PID 1.
      NetworkMode: `container:${sandboxId}`,
      IpcMode: `container:${sandboxId}`,
      Init: true,
      Binds: cfg.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
      ...(cfg.cpuMillis !== undefined ? { NanoCpus: Math.round(cfg.cpuMillis * 1_000_000) } : {}),
      // MemorySwap = Memory: no swap on top, so the limit is the limit (as the kubelet does).
      ...(cfg.memoryBytes !== undefined ? { Memory: cfg.memoryBytes, MemorySwap: cfg.memoryBytes } : {}),
      ...(cfg.cpuRequestMillis !== undefined ? { CpuShares: cpuShares(cfg.cpuRequestMillis) } : {}),
      Privileged: cfg.privileged ?? false,
      RestartPolicy: { Name: 'no' },
    },
  };
}

/** The engine writes "0001-01-01T00:00:00Z" for "never". */
function timestamp(t: string | undefined): string | undefined {
  return t && !t.startsWith('0001-') ? t : undefined;
}

function stateName(status: string): ContainerStateName {
  switch (status) {
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    case 'created':
      return 'created';
    default:
      return 'unknown';
  }
}

function exitReason(c: EngineContainer, state: ContainerStateName): { exitCode?: number; reason?: string } {
  const s = c.State;
  if (state === 'exited') {
    return { exitCode: s.ExitCode, reason: s.OOMKilled ? 'OOMKilled' : s.ExitCode === 0 ? 'Completed' : 'Error' };
  }
  // A failed start leaves the container "created" with the engine's error (e.g. no such executable).
  if (state === 'created' && s.Error) return { exitCode: s.ExitCode, reason: 'StartError' };
  return {};
}

export function toContainerInfo(c: EngineContainer): ContainerInfo {
  const labels = c.Config.Labels ?? {};
  const state = stateName(c.State.Status);
  const restart = Number.parseInt(labels[runtimeLabels.restartCount] ?? '0', 10);
  const startedAt = timestamp(c.State.StartedAt);
  const finishedAt = timestamp(c.State.FinishedAt);
  const createdAt = timestamp(c.Created);
  return {
    id: c.Id,
    pod: {
      node: labels[runtimeLabels.node] ?? '',
      namespace: labels[runtimeLabels.namespace] ?? '',
      name: labels[runtimeLabels.pod] ?? '',
      uid: labels[runtimeLabels.uid] ?? '',
    },
    name: labels[runtimeLabels.container] ?? '',
    isSandbox: labels[runtimeLabels.sandbox] === 'true',
    image: c.Config.Image,
    imageId: c.Image,
    state,
    ...exitReason(c, state),
    ...(createdAt ? { createdAt } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt && state === 'exited' ? { finishedAt } : {}),
    restartCount: Number.isFinite(restart) ? restart : 0,
    ...(state === 'running' && c.State.Pid > 0 ? { pid: c.State.Pid } : {}),
    labels,
  };
}

function requestedPorts(c: EngineContainer): PortBinding[] {
  const raw = c.Config.Labels?.[portsLabel];
  if (!raw) return [];
  try {
    return JSON.parse(raw) as PortBinding[];
  } catch {
    return []; // a label someone edited by hand: report no ports rather than fail the sandbox
  }
}

/** The engine may list several entries per port (IPv4 and IPv6 for a wildcard address). */
function hostPortFor(p: PortBinding, ports: EnginePortMap | null | undefined): number | undefined {
  const entries = ports?.[portKey(p)] ?? [];
  const wildcard = p.hostIP === '' || p.hostIP === '0.0.0.0';
  const match =
    entries.find((e) => e.HostIp === p.hostIP && (p.hostPort === 0 || e.HostPort === String(p.hostPort))) ??
    (wildcard ? entries.find((e) => !e.HostIp.includes(':')) : undefined);
  return match ? Number(match.HostPort) : undefined;
}

export function publishedPorts(c: EngineContainer): PublishedPort[] {
  return requestedPorts(c).map((p) => ({ ...p, hostPort: hostPortFor(p, c.NetworkSettings.Ports) ?? p.hostPort }));
}

export function toSandbox(c: EngineContainer): Sandbox {
  const networks = c.NetworkSettings.Networks ?? {};
  const ip = networks.bridge?.IPAddress ?? Object.values(networks)[0]?.IPAddress ?? '';
  return { id: c.Id, ip, ports: publishedPorts(c) };
}

/**
 * The IPv4 gateway of a Docker network from its IPAM config: `Gateway` when the engine lists one
 * (a `--bip`, or a user-defined network), else the subnet's first host address, which is where
 * the engine puts the bridge when none was configured — a fresh engine's default bridge lists
 * only `{"Subnet": "172.17.0.0/16"}`, and its docker0 holds 172.17.0.1.
 */
export function bridgeGateway(ipam: { Config?: { Subnet?: string; Gateway?: string }[] } | undefined): string | undefined {
  const v4 = (ipam?.Config ?? []).filter((c) => !(c.Subnet ?? c.Gateway ?? '').includes(':'));
  const listed = v4.find((c) => c.Gateway)?.Gateway;
  if (listed) return listed;
  const m = v4.map((c) => c.Subnet?.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/)).find((x) => x);
  if (!m) return undefined;
  const len = Number(m[5]);
  if (len > 30) return undefined;
  const base = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const first = ((base & (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0)) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (first >>> s) & 255).join('.');
}
