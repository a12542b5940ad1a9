// The container runtime contract the agent's pod manager drives. Deliberately mechanical:
// restart policy, back-off, probes and grace periods are the pod manager's; a runtime only
// creates, starts, stops, removes, lists, inspects, streams logs and runs commands.
//
// A pod is a sandbox (an infra "pause" container holding the network namespace and the
// published ports) plus app containers joined to it, so they share one IP and localhost.
// Implementations: DockerRuntime (Docker Engine API via dockerode → containerd → runc) and
// FakeRuntime (in memory, for unit tests and hollow agents).

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface PullProgress {
  image: string;
  /** Bytes done and total across layers, when the engine reports them. */
  current?: number;
  total?: number;
  status: string;
}

export interface PortBinding {
  /** The container's name in the pod spec (for reporting). */
  containerName: string;
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP';
  /** Address on the node to publish on (the node's InternalIP). */
  hostIP: string;
  /** 0 = let the engine pick a free port. */
  hostPort: number;
}

export interface PublishedPort extends Omit<PortBinding, 'hostPort'> {
  hostPort: number;
}

/** Labels every object a runtime creates carries, so the agent finds (only) its own. */
export interface PodRef {
  node: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface SandboxConfig {
  pod: PodRef;
  hostname: string;
  ports: PortBinding[];
  /** Extra labels (e.g. the pod's own), kept on the infra container. */
  labels?: Record<string, string>;
}

export interface Sandbox {
  id: string;
  /** The pod's IP on the node (the infra container's address). */
  ip: string;
  ports: PublishedPort[];
}

export interface Mount {
  /** A path on the node, prepared by the agent's volume manager (emptyDir, configMap, ...). */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerConfig {
  pod: PodRef;
  /** The container's name in the pod spec. */
  name: string;
  image: string;
  /** Entrypoint override (Kubernetes `command`); undefined keeps the image's. */
  command?: string[];
  /** Kubernetes `args`. */
  args?: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  /** CPU limit in millicores (→ NanoCpus), memory limit in bytes. */
  cpuMillis?: number;
  memoryBytes?: number;
  /** CPU request in millicores (→ CPU shares). */
  cpuRequestMillis?: number;
  privileged?: boolean;
  user?: string;
  tty?: boolean;
  stdin?: boolean;
  /** How many times the pod manager has restarted this container (kept as a label). */
  restartCount: number;
}

export type ContainerStateName = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerInfo {
  id: string;
  pod: PodRef;
  /** Container name in the pod spec; '' for the sandbox (infra) container. */
  name: string;
  isSandbox: boolean;
  image: string;
  imageId?: string;
  state: ContainerStateName;
  exitCode?: number;
  /** e.g. OOMKilled, Error, Completed. */
  reason?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  /** Host PID of the main process while running (for exec via nsenter). */
  pid?: number;
  labels: Record<string, string>;
}

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr, interleaved, capped. */
  output: string;
}

/** The runtime cannot be reached or used; the message says what is missing and how to fix it. */
export class RuntimeUnavailableError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}

export class ImageNotFoundError extends Error {
  constructor(readonly image: string, why: string) {
    super(`image ${image}: ${why}`);
    this.name = 'ImageNotFoundError';
  }
}

export interface ContainerRuntime {
  readonly name: string;
  /** Throws RuntimeUnavailableError when the engine is missing or unreachable. */
  version(): Promise<{ runtime: string; version: string; apiVersion?: string }>;
  /** Make the image present according to policy; progress is reported while pulling. */
  ensureImage(image: string, policy: ImagePullPolicy, onProgress?: (p: PullProgress) => void): Promise<void>;
  createSandbox(cfg: SandboxConfig): Promise<Sandbox>;
  /** Create (not start) an app container in the sandbox's namespaces. Returns its id. */
  createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. Resolves when stopped. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Remove a container (force); no error if it is already gone. */
  removeContainer(id: string): Promise<void>;
  /** Every container (sandboxes included) this runtime created for `node` (only pod `podUid`'s, if given). */
  listContainers(node: string, podUid?: string): Promise<ContainerInfo[]>;
  inspectContainer(id: string): Promise<ContainerInfo | undefined>;
  /** Log bytes (stdout and stderr merged) until the container stops (follow) or the signal aborts. */
  logs(id: string, opts: LogOptions, signal?: AbortSignal): AsyncIterable<Buffer>;
  /** Run a command in a running container (exec probes), with a timeout. */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** Sandbox status: IP and ports (after an agent restart, to report them again). */
  inspectSandbox(id: string): Promise<Sandbox | undefined>;
  /**
   * An address of this node that containers can reach (Docker: the bridge network's gateway),
   * where the userspace proxy serves services for pods; undefined when the runtime has none
   * of its own (the node's address is used).
   */
  serviceAddress?(): Promise<string | undefined>;
}

/** Label keys on runtime objects. */
export const runtimeLabels = {
  managed: 'dev.bramble.managed',
  node: 'dev.bramble.node',
  namespace: 'dev.bramble.pod.namespace',
  pod: 'dev.bramble.pod.name',
  uid: 'dev.bramble.pod.uid',
  container: 'dev.bramble.container',
  sandbox: 'dev.bramble.sandbox',
  restartCount: 'dev.bramble.restart-count',
} as const;
