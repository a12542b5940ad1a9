// The Docker Engine runtime: dockerode → dockerd → containerd → runc.
//
// A pod is an infra ("pause") container holding the network namespace, the published ports and
// a shareable IPC namespace, plus app containers joined to it (NetworkMode/IpcMode
// `container:<id>`). Every object carries runtimeLabels, and the runtime only ever lists,
// inspects or reports objects labelled managed=true, so other containers on the node are left alone.
import { randomBytes } from 'node:crypto';
import './no-ssh2.js'; // must come before dockerode: keeps ssh2 (~8 MB) from loading
import Docker from 'dockerode';
import type { Logger } from '../../log/logger.js';
import {
  ImageNotFoundError,
  runtimeLabels,
  type ContainerConfig,
  type ContainerInfo,
  type ContainerRuntime,
  type ExecResult,
  type ImagePullPolicy,
  type LogOptions,
  type PullProgress,
  type Sandbox,
  type SandboxConfig,
} from './runtime.js';
import { bridgeGateway, containerCreateOptions, containerName, sandboxCreateOptions, sandboxName, toContainerInfo, toSandbox } from './docker-specs.js';
import { engineMessage, statusCode, unavailableError, type EngineContainer, type EngineExecInspect, type EngineListEntry } from './docker-types.js';
import { CappedOutput, chunks, demuxFrames } from './docker-streams.js';
import { ensureImage } from './docker-images.js';
import { defaultBusybox, defaultPauseImage, ensurePauseImage } from './pause-image.js';

export interface DockerRuntimeOptions {
  /** Default /var/run/docker.sock. */
  socketPath?: string;
  logger: Logger;
  /** Default bramble/pause:<version>, built locally from busybox on first use. */
  infraImage?: string;
  /** The static busybox the infra image is built from (default /bin/busybox). */
  busyboxPath?: string;
}

/** Exec output kept for a probe: enough for any sensible probe, bounded for a Pi's memory. */
const execOutputCap = 64 * 1024;

/** The subset of a Node stream we need to cancel a follow (NodeJS.ReadableStream lacks destroy). */
interface Destroyable {
  destroy(err?: Error): void;
}

export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker';
  private readonly docker: Docker;
  private readonly socketPath: string;
  private readonly log: Logger;
  private readonly infraImage: string;
  private readonly busyboxPath: string;
  private pauseReady: Promise<void> | undefined;
  /** The last inspect of each listed container, with the engine state it was made in. */
  private readonly inspected = new Map<string, { status: string; info: ContainerInfo }>();

  constructor(opts: DockerRuntimeOptions) {
    this.socketPath = opts.socketPath ?? '/var/run/docker.sock';
    this.docker = new Docker({ socketPath: this.socketPath });
    this.log = opts.logger.child({ component: 'runtime', runtime: 'docker' });
    this.infraImage = opts.infraImage ?? defaultPauseImage;
    this.busyboxPath = opts.busyboxPath ?? defaultBusybox;
  }

  /** Run an engine call; a socket-level failure becomes a RuntimeUnavailableError with a hint. */
  private async engine<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailableError(err, this.socketPath) ?? err;
    }
  }

  async version(): Promise<{ runtime: string; version: string; apiVersion?: string }> {
    const v = await this.engine(() => this.docker.version());
    return { runtime: 'docker', version: v.Version, apiVersion: v.ApiVersion };
  }

  ensureImage(image: string, policy: ImagePullPolicy, onProgress?: (p: PullProgress) => void): Promise<void> {
    return this.engine(() => ensureImage(this.docker, this.log, image, policy, onProgress));
  }

  /** Build the infra image once per process; a failure is retried by the next sandbox. */
  private ensurePause(): Promise<void> {
    this.pauseReady ??= ensurePauseImage(this.docker, this.infraImage, this.log, this.busyboxPath).catch((err: unknown) => {
      this.pauseReady = undefined;
      throw err;
    });
    return this.pauseReady;
  }

  async createSandbox(cfg: SandboxConfig): Promise<Sandbox> {
    return this.engine(async () => {
      await this.ensurePause();
      const name = sandboxName(cfg.pod, randomBytes(3).toString('hex'));
      const c = await this.docker.createContainer(sandboxCreateOptions(cfg, this.infraImage, name));
      try {
        await c.start();
        const sandbox = toSandbox(await this.rawInspect(c.id));
        this.log.debug({ pod: `${cfg.pod.namespace}/${cfg.pod.name}`, id: c.id, ip: sandbox.ip }, 'sandbox started');
        return sandbox;
      } catch (err) {
        // e.g. "Bind for 127.0.0.1:30080 failed: port is already allocated": leave nothing behind.
        await this.removeContainer(c.id).catch(() => undefined);
        throw new Error(`starting the sandbox of pod ${cfg.pod.namespace}/${cfg.pod.name}: ${engineMessage(err)}`, { cause: err });
      }
    });
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const name = containerName(cfg.pod, cfg.name, cfg.restartCount);
    const create = async (): Promise<string> => (await this.docker.createContainer(containerCreateOptions(sandboxId, cfg, name))).id;
    return this.engine(async () => {
      try {
        return await create();
      } catch (err) {
        if (statusCode(err) === 404 && /image/i.test(engineMessage(err))) throw new ImageNotFoundError(cfg.image, engineMessage(err));
        if (statusCode(err) !== 409 || !(await this.removeStale(name, cfg.pod.uid))) throw err;
        return await create();
      }
    });
  }

  /**
   * A container of the same name and restart count is left over (the agent died between create
   * and start, say). Replace it only if it is ours, of the same pod, and not running.
   */
  private async removeStale(name: string, uid: string): Promise<boolean> {
    const old = await this.rawInspect(name).catch(() => undefined);
    const labels = old?.Config.Labels ?? {};
    if (!old || old.State.Running || labels[runtimeLabels.managed] !== 'true' || labels[runtimeLabels.uid] !== uid) return false;
    this.log.info({ name, id: old.Id }, 'replacing a leftover container that was never started');
    await this.removeContainer(old.Id);
    return true;
  }

  async startContainer(id: string): Promise<void> {
    this.inspected.delete(id);
    await this.engine(async () => {
      try {
        await this.docker.getContainer(id).start();
      } catch (err) {
        if (statusCode(err) === 304) return; // already running
        throw new Error(`starting container ${id.slice(0, 12)}: ${engineMessage(err)}`, { cause: err });
      }
    });
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    this.inspected.delete(id);
    await this.engine(async () => {
      try {
        // The engine sends the image's stop signal (SIGTERM), waits t seconds, then SIGKILLs.
        await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceSeconds)) });
      } catch (err) {
        const code = statusCode(err);
        if (code !== 304 && code !== 404) throw err; // 304: not running, 404: gone
      }
    });
  }

  async removeContainer(id: string): Promise<void> {
    this.inspected.delete(id);
    await this.engine(async () => {
      try {
        await this.docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        const code = statusCode(err);
        // 404: gone already; 409 "removal already in progress": someone else finishes it.
        if (code !== 404 && !(code === 409 && /in progress/i.test(engineMessage(err)))) throw err;
      }
    });
  }

  async listContainers(node: string, podUid?: string): Promise<ContainerInfo[]> {
    return this.engine(async () => {
      const label = [`${runtimeLabels.managed}=true`, `${runtimeLabels.node}=${node}`, ...(podUid ? [`${runtimeLabels.uid}=${podUid}`] : [])];
      const list = (await this.docker.listContainers({ all: true, filters: { label } })) as EngineListEntry[];
      // The list answer has no exit code, OOM flag or timestamps: those come from an inspect,
      // made again only when the listed state differs from the inspected one (a container's
      // inspect answer does not change while its state stays the same: the agent never restarts
      // a container in place). So an idle pass over 100 containers is one list call.
      const infos = await Promise.all(list.map(async (c) => {
        const known = this.inspected.get(c.Id);
        if (known && known.status === c.State) return known.info;
        const raw = await this.rawInspect(c.Id).catch((err: unknown) => (statusCode(err) === 404 ? undefined : Promise.reject(err)));
        if (!raw) return undefined;
        const info = toContainerInfo(raw);
        this.inspected.set(c.Id, { status: raw.State.Status, info });
        return info;
      }));
      if (!podUid) {
        const listed = new Set(list.map((c) => c.Id));
        for (const id of this.inspected.keys()) if (!listed.has(id)) this.inspected.delete(id);
      }
      return infos.filter((c): c is ContainerInfo => c !== undefined);
    });
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    const c = await this.inspectOurs(id);
    return c ? toContainerInfo(c) : undefined;
  }

  async inspectSandbox(id: string): Promise<Sandbox | undefined> {
    const c = await this.inspectOurs(id);
    return c && c.Config.Labels?.[runtimeLabels.sandbox] === 'true' ? toSandbox(c) : undefined;
  }

  /** The default bridge's gateway: pods (whose sandboxes sit on that bridge) reach this node there. */
  async serviceAddress(): Promise<string | undefined> {
    const net = await this.engine(() => this.docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } };
    return bridgeGateway(net.IPAM);
  }

  /** Inspect, or undefined when the container is gone or not one of ours. */
  private async inspectOurs(id: string): Promise<EngineContainer | undefined> {
    return this.engine(async () => {
      try {
        const c = await this.rawInspect(id);
        return c.Config.Labels?.[runtimeLabels.managed] === 'true' ? c : undefined;
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
    });
  }

  private async rawInspect(idOrName: string): Promise<EngineContainer> {
    // Cast: @types/dockerode's ContainerInspectInfo lags the engine; EngineContainer is the narrow truth.
    return (await this.docker.getContainer(idOrName).inspect()) as unknown as EngineContainer;
  }

  async *logs(id: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<Buffer> {
    if (signal?.aborted) return;
    const tty = (await this.engine(() => this.rawInspect(id))).Config.Tty;
    const base = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps ?? false,
      ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
      ...(opts.sinceSeconds !== undefined ? { since: Math.floor(Date.now() / 1000) - opts.sinceSeconds } : {}),
    };
    const c = this.docker.getContainer(id);
    const raw = opts.follow ? await this.engine(() => c.logs({ ...base, follow: true })) : await this.engine(() => c.logs({ ...base, follow: false }));
    const abort = (): void => (Buffer.isBuffer(raw) ? undefined : (raw as unknown as Destroyable).destroy());
    signal?.addEventListener('abort', abort, { once: true });
    try {
      // A TTY container's output is raw; otherwise it is multiplexed (stdout and stderr frames).
      yield* tty ? chunks(raw) : demuxFrames(chunks(raw));
    } catch (err) {
      if (!signal?.aborted) throw err; // destroyed on abort: the iteration just ends
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    return this.engine(async () => {
      const ex = await this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, Tty: false });
      const stream = await ex.start({ hijack: true, stdin: false });
      const out = new CappedOutput(execOutputCap);
      const collected = (async () => {
        for await (const b of demuxFrames(chunks(stream))) out.push(b);
        return 'done' as const;
      })();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      try {
        if ((await Promise.race([collected, timeout])) === 'timeout') {
          // The engine has no "kill exec" call: the process may keep running in the container.
          (stream as unknown as Destroyable).destroy();
          collected.catch(() => undefined);
          return { exitCode: -1, output: `${out.text()}\n[timed out after ${timeoutMs} ms]`.trimStart() };
        }
      } finally {
        clearTimeout(timer);
      }
      return { exitCode: await this.execExitCode(ex), output: out.text() };
    });
  }

  /** The output ends a moment before the engine records the exit code: ask a few times. */
  private async execExitCode(ex: Docker.Exec): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const info = (await ex.inspect()) as EngineExecInspect;
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    return -1;
  }
}
