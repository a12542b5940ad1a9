// An in-memory ContainerRuntime for unit tests and "hollow" agents (one process simulating
// thousands of nodes). Containers "run" until stopped or crashed; nothing executes. It keeps the
// engine's observable rules (unique names, port conflicts, images, exit codes of a SIGTERM or
// SIGKILL) and stays cheap: a few objects per container and no timers unless a behaviour or a
// grace period asks for one.
import {
  ImageNotFoundError,
  RuntimeUnavailableError,
  runtimeLabels,
  type ContainerConfig,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerStateName,
  type ExecResult,
  type ImagePullPolicy,
  type LogOptions,
  type PodRef,
  type PublishedPort,
  type PullProgress,
  type Sandbox,
  type SandboxConfig,
} from './runtime.js';
import { HostPorts } from './fake-ports.js';
import { containerName, sandboxName } from './names.js';

/** What a container started from `image` does by itself. */
export interface FakeBehaviour {
  /** Exit on its own this long after start (with exitCode, default 0). */
  exitAfterMs?: number;
  exitCode?: number;
  /** Written to the log at start. */
  logLines?: string[];
  /** Ignores SIGTERM: a stop waits the whole grace period, then kills (exit 137). */
  ignoreTerm?: boolean;
  /** Exit code when stopped by SIGTERM (default 143; a process trapping TERM may exit 0). */
  exitCodeOnTerm?: number;
}

export interface FakeExecRequest {
  id: string;
  /** The container's name in the pod spec. */
  name: string;
  image: string;
  pod: PodRef;
  config: ContainerConfig | undefined;
  command: string[];
}

export type FakeExecHandler = (req: FakeExecRequest) => ExecResult | Promise<ExecResult>;

export type FakeImageState = 'present' | 'missing' | 'pullable';

export interface FakeRuntimeOptions {
  /** Images not on the node and not pullable (ensureImage fails, create fails). */
  missingImages?: Iterable<string>;
  /** Images not on the node that a pull fetches. */
  pullableImages?: Iterable<string>;
  /** Answers exec calls; default: exit 0, no output. */
  exec?: FakeExecHandler;
  /** First two octets of sandbox IPs (default 10.88). */
  subnet?: string;
  /** Host port range for port 0 (default 32768-60999, as Docker). */
  hostPortRange?: [number, number];
}

interface LogEntry {
  at: number;
  data: Buffer;
}

interface FakeContainer {
  id: string;
  engineName: string;
  pod: PodRef;
  name: string;
  isSandbox: boolean;
  image: string;
  labels: Record<string, string>;
  state: ContainerStateName;
  exitCode?: number;
  reason?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  pid?: number;
  removed?: boolean;
  config?: ContainerConfig;
  sandboxCfg?: SandboxConfig;
  ip?: string;
  ports?: PublishedPort[];
  logs: LogEntry[];
  /** Woken on new log lines and on exit (log followers). Made on demand. */
  waiters?: Set<() => void>;
  timer?: NodeJS.Timeout;
  stopping?: Promise<void>;
}

/** Ids unique across every FakeRuntime in the process (hollow agents share one process). */
let nextSerial = 1;
const exitTerm = 143; // 128 + SIGTERM, what docker-init reports for a process ended by TERM
const exitKill = 137; // 128 + SIGKILL

export class FakeRuntime implements ContainerRuntime {
  readonly name = 'fake';
  private readonly containers = new Map<string, FakeContainer>();
  private readonly names = new Map<string, string>();
  private readonly behaviours = new Map<string, FakeBehaviour>();
  private readonly images = new Map<string, FakeImageState>();
  private readonly hostPorts: HostPorts;
  private readonly subnet: string;
  private execHandler: FakeExecHandler;
  private nextIp = 2;
  private nextPid = 1000;
  private available = true;
  /** Every pull attempted, in order (tests assert pull policies with it). */
  readonly pulls: string[] = [];

  constructor(opts: FakeRuntimeOptions = {}) {
    for (const i of opts.missingImages ?? []) this.images.set(i, 'missing');
    for (const i of opts.pullableImages ?? []) this.images.set(i, 'pullable');
    this.execHandler = opts.exec ?? (() => ({ exitCode: 0, output: '' }));
    this.subnet = opts.subnet ?? '10.88';
    this.hostPorts = new HostPorts(...(opts.hostPortRange ?? []));
  }

  // ---- test controls ----

  /** The container exits now (exit 0 → Completed, else Error; oomKilled → OOMKilled). */
  crash(id: string, exitCode = 1, opts: { oomKilled?: boolean } = {}): void {
    const c = this.mustGet(id);
    if (c.state !== 'running') throw new Error(`fake: container ${id} is not running`);
    this.exit(c, exitCode, opts.oomKilled ? 'OOMKilled' : undefined);
  }

  setBehaviour(image: string, behaviour: FakeBehaviour): void {
    this.behaviours.set(image, behaviour);
  }

  setImage(image: string, state: FakeImageState): void {
    if (state === 'present') this.images.delete(image);
    else this.images.set(image, state);
  }

  setExecHandler(handler: FakeExecHandler): void {
    this.execHandler = handler;
  }

  /** Append to a container's log, as if it printed `text`. */
  writeLog(id: string, text: string): void {
    this.appendLog(this.mustGet(id), text);
  }

  /** The config an app container was created with (e.g. to check limits or mounts). */
  configOf(id: string): ContainerConfig | undefined {
    return this.containers.get(id)?.config;
  }

  /** false: every call throws RuntimeUnavailableError, as when dockerd is down. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /** Containers held, removed ones excluded (for leak checks in tests). */
  get size(): number {
    return this.containers.size;
  }

  // ---- ContainerRuntime ----

  private up(): void {
    if (!this.available) throw new RuntimeUnavailableError('fake runtime is unavailable', 'call setAvailable(true)');
  }

  async version(): Promise<{ runtime: string; version: string; apiVersion?: string }> {
    this.up();
    return { runtime: 'fake', version: '1.0.0' };
  }

  async ensureImage(image: string, policy: ImagePullPolicy, onProgress?: (p: PullProgress) => void): Promise<void> {
    this.up();
    const state = this.images.get(image) ?? 'present';
    if (policy === 'Never') {
      if (state !== 'present') throw new ImageNotFoundError(image, 'not present on the node and imagePullPolicy is Never');
      return;
    }
    if (policy === 'IfNotPresent' && state === 'present') return;
    this.pulls.push(image);
    if (state === 'missing') throw new ImageNotFoundError(image, 'pull failed: repository does not exist or is not reachable');
    onProgress?.({ image, status: state === 'pullable' ? 'Downloaded newer image' : 'Image is up to date' });
    this.images.delete(image); // pulled: present from now on
  }

  async createSandbox(cfg: SandboxConfig): Promise<Sandbox> {
    this.up();
    const c = this.newContainer(cfg.pod, '', true, 'bramble/pause:fake', 0, sandboxName(cfg.pod, String(nextSerial)));
    c.labels = { ...cfg.labels, ...c.labels, [runtimeLabels.sandbox]: 'true' };
    c.sandboxCfg = cfg;
    try {
      c.ports = cfg.ports.map((p) => ({ ...p, hostPort: this.hostPorts.reserve(c.id, p.protocol, p.hostIP, p.hostPort) }));
    } catch (err) {
      this.hostPorts.release(c.id);
      this.forget(c);
      throw new Error(`starting the sandbox of pod ${cfg.pod.namespace}/${cfg.pod.name}: ${(err as Error).message}`);
    }
    const n = this.nextIp++;
    c.ip = `${this.subnet}.${(n >> 8) & 255}.${n & 255}`;
    this.run(c);
    return this.sandboxView(c);
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    this.up();
    const sandbox = this.containers.get(sandboxId);
    if (!sandbox?.isSandbox) throw new Error(`No such container: ${sandboxId} (sandbox)`);
    if (this.images.has(cfg.image)) throw new ImageNotFoundError(cfg.image, `No such image: ${cfg.image}`);
    const engineName = containerName(cfg.pod, cfg.name, cfg.restartCount);
    this.removeStale(engineName, cfg.pod.uid);
    const c = this.newContainer(cfg.pod, cfg.name, false, cfg.image, cfg.restartCount, engineName);
    c.labels[runtimeLabels.container] = cfg.name;
    c.labels[runtimeLabels.restartCount] = String(cfg.restartCount);
    c.config = cfg;
    return c.id;
  }

  /** As DockerRuntime: a same-named container of the same pod that is not running is replaced. */
  private removeStale(engineName: string, uid: string): void {
    const old = this.containers.get(this.names.get(engineName) ?? '');
    if (old && old.state !== 'running' && old.pod.uid === uid) {
      old.removed = true;
      this.notify(old);
      this.forget(old);
    }
  }

  async startContainer(id: string): Promise<void> {
    this.up();
    const c = this.mustGet(id);
    if (c.state !== 'running') this.run(c);
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    this.up();
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') return;
    const behaviour = this.behaviours.get(c.image);
    if (!behaviour?.ignoreTerm) {
      this.exit(c, behaviour?.exitCodeOnTerm ?? exitTerm);
      return;
    }
    c.stopping ??= new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        if (c.state === 'running') this.exit(c, exitKill);
        resolve();
      }, graceSeconds * 1000);
      this.onExit(c, () => {
        clearTimeout(kill); // crashed, removed or killed
        resolve();
      });
    });
    await c.stopping;
  }

  async removeContainer(id: string): Promise<void> {
    this.up();
    const c = this.containers.get(id);
    if (!c) return;
    if (c.state === 'running') this.exit(c, exitKill);
    c.removed = true;
    this.notify(c);
    this.forget(c);
  }

  async listContainers(node: string, podUid?: string): Promise<ContainerInfo[]> {
    this.up();
    const out: ContainerInfo[] = [];
    for (const c of this.containers.values()) if (c.pod.node === node && (podUid === undefined || c.pod.uid === podUid)) out.push(this.info(c));
    return out;
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    this.up();
    const c = this.containers.get(id);
    return c ? this.info(c) : undefined;
  }

  async inspectSandbox(id: string): Promise<Sandbox | undefined> {
    this.up();
    const c = this.containers.get(id);
    return c?.isSandbox ? this.sandboxView(c) : undefined;
  }

  async *logs(id: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<Buffer> {
    this.up();
    const c = this.mustGet(id);
    const since = opts.sinceSeconds !== undefined ? Date.now() - opts.sinceSeconds * 1000 : 0;
    let entries = c.logs.filter((e) => e.at >= since);
    if (opts.tailLines !== undefined) entries = opts.tailLines > 0 ? entries.slice(-opts.tailLines) : [];
    const show = (e: LogEntry): Buffer => (opts.timestamps ? Buffer.concat([Buffer.from(`${new Date(e.at).toISOString()} `), e.data]) : e.data);
    for (const e of entries) yield show(e);
    if (!opts.follow) return;
    let next = c.logs.length;
    for (;;) {
      while (next < c.logs.length) yield show(c.logs[next++]!);
      if (signal?.aborted || c.removed || c.state === 'exited') return;
      await this.changed(c, signal);
    }
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    this.up();
    const c = this.mustGet(id);
    if (c.state !== 'running') throw new Error(`Container ${id} is not running`);
    const req: FakeExecRequest = { id, name: c.name, image: c.image, pod: c.pod, config: c.config, command };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ExecResult>((resolve) => {
      timer = setTimeout(() => resolve({ exitCode: -1, output: `[timed out after ${timeoutMs} ms]` }), timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve(this.execHandler(req)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- internals ----

  private mustGet(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`No such container: ${id}`);
    return c;
  }

  private newContainer(pod: PodRef, name: string, isSandbox: boolean, image: string, restartCount: number, engineName: string): FakeContainer {
    if (this.names.has(engineName)) throw new Error(`Conflict. The container name "/${engineName}" is already in use by container "${this.names.get(engineName)}"`);
    const serial = nextSerial++;
    const c: FakeContainer = {
      id: `fake${serial.toString(16).padStart(12, '0')}`,
      engineName,
      pod: { ...pod },
      name,
      isSandbox,
      image,
      labels: {
        [runtimeLabels.managed]: 'true',
        [runtimeLabels.node]: pod.node,
        [runtimeLabels.namespace]: pod.namespace,
        [runtimeLabels.pod]: pod.name,
        [runtimeLabels.uid]: pod.uid,
      },
      state: 'created',
      createdAt: new Date().toISOString(),
      restartCount,
      logs: [],
    };
    this.containers.set(c.id, c);
    this.names.set(engineName, c.id);
    return c;
  }

  private forget(c: FakeContainer): void {
    this.containers.delete(c.id);
    this.names.delete(c.engineName);
  }

  private run(c: FakeContainer): void {
    c.state = 'running';
    c.startedAt = new Date().toISOString();
    c.pid = this.nextPid++;
    delete c.exitCode;
    delete c.reason;
    delete c.finishedAt;
    if (c.isSandbox && c.sandboxCfg && !c.ports) {
      // A restarted sandbox publishes its ports again (released when it stopped).
      c.ports = c.sandboxCfg.ports.map((p) => ({ ...p, hostPort: this.hostPorts.reserve(c.id, p.protocol, p.hostIP, p.hostPort) }));
    }
    const b = this.behaviours.get(c.image);
    if (!b) return;
    for (const line of b.logLines ?? []) this.appendLog(c, `${line}\n`);
    if (b.exitAfterMs !== undefined) c.timer = setTimeout(() => this.exit(c, b.exitCode ?? 0), b.exitAfterMs);
  }

  private exit(c: FakeContainer, exitCode: number, reason?: string): void {
    if (c.state !== 'running') return;
    clearTimeout(c.timer);
    delete c.timer;
    delete c.pid;
    delete c.stopping;
    c.state = 'exited';
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    c.finishedAt = new Date().toISOString();
    if (c.isSandbox) {
      this.hostPorts.release(c.id); // the engine frees published ports when a container stops
      delete c.ports;
    }
    this.notify(c);
  }

  private appendLog(c: FakeContainer, text: string): void {
    c.logs.push({ at: Date.now(), data: Buffer.from(text) });
    this.notify(c);
  }

  private wait(c: FakeContainer, fn: () => void): () => void {
    (c.waiters ??= new Set()).add(fn);
    return () => c.waiters?.delete(fn);
  }

  /** Calls fn once the container is no longer running (log lines also wake waiters: wait again). */
  private onExit(c: FakeContainer, fn: () => void): void {
    this.wait(c, () => (c.state === 'running' && !c.removed ? this.onExit(c, fn) : fn()));
  }

  private notify(c: FakeContainer): void {
    const waiters = c.waiters;
    if (!waiters) return;
    delete c.waiters;
    for (const fn of waiters) fn();
  }

  /** Resolves on the container's next change or on abort. */
  private changed(c: FakeContainer, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        unwait();
        resolve();
      };
      const unwait = this.wait(c, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private info(c: FakeContainer): ContainerInfo {
    return {
      id: c.id,
      pod: { ...c.pod },
      name: c.name,
      isSandbox: c.isSandbox,
      image: c.image,
      imageId: `sha256:fake-${c.image}`,
      state: c.state,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      createdAt: c.createdAt,
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      restartCount: c.restartCount,
      ...(c.pid !== undefined ? { pid: c.pid } : {}),
      labels: { ...c.labels },
    };
  }

  private sandboxView(c: FakeContainer): Sandbox {
    const requested = c.sandboxCfg?.ports ?? [];
    return { id: c.id, ip: c.state === 'running' ? (c.ip ?? '') : '', ports: (c.ports ?? requested).map((p) => ({ ...p })) };
  }
}
