// The agent (kubelet) on a worker: loads its saved desired state and runs those pods at once,
// with or without the master; reports node and pod status over MQTT; applies desired-state
// messages (sync, upsert, delete) and saves them for the next start; serves log streams;
// runs the service proxy over the Services the master pushes (kept in the state file too).
// Everything it needs comes in as arguments, so tests and hollow agents wire it freely.
import path from 'node:path';
import { guessNodeIP } from '../host-address.js';
import type { Logger } from '../log/logger.js';
import type { DesiredMessage, Hello, PodBundle, PodStatusReport } from '../protocol/messages.js';
import { isValidNodeName } from '../protocol/topics.js';
import { brambleVersion } from '../version.js';
import { systemClock, type Clock } from './clock.js';
import { detectProfile, loadProfiles, type HardwareProfile } from './hardware.js';
import { decodeDesired, decodeLogsRequest, decodeServices, ProtocolError } from './decode.js';
import { MasterLink } from './link.js';
import { LogStreams } from './logs.js';
import type { AgentMetrics } from './metrics.js';
import { kubeletBackoff, type BackoffOptions } from './pods/backoff.js';
import { PodManager } from './pods/manager.js';
import { kubeProbeDefaults, type ProbeDefaults, type Prober } from './pods/probes.js';
import type { ContainerRuntime } from './runtime/runtime.js';
import { emptyState, StateStore, type AgentState, type AgentStateStore } from './state.js';
import { AgentServices, type AgentProxy } from './services.js';
import { PodReportBatcher } from './status/pod-reports.js';
import { NodeStatusReporter } from './status/reporter.js';
import type { HostFacts, NodeStatusSource } from './status/source.js';
import { cpuMillis, memoryBytes } from '../api/quantity.js';

export interface AgentTuning {
  heartbeatMs: number;
  /** Container restart back-off (Kubernetes: 10 s doubling to 5 min, reset after 10 min). */
  backoff: BackoffOptions;
  /** MQTT reconnect back-off. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  probeDefaults: ProbeDefaults;
  /** How often the runtime is listed even when nothing happens (container exits are found so). */
  syncPeriodMs: number;
  orphanGraceSeconds: number;
  maxPods: number;
  /** How long a changed pod status waits for newer changes before it is sent (src/agent/status/pod-reports.ts). */
  podStatusDelayMs: number;
  /** Replaces the real exec/HTTP/TCP probes (hollow agents, tests). */
  prober?: Prober;
}

export const defaultTuning: AgentTuning = {
  heartbeatMs: 10_000,
  backoff: kubeletBackoff,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 30_000,
  probeDefaults: kubeProbeDefaults,
  syncPeriodMs: 2_000,
  orphanGraceSeconds: 10,
  maxPods: 110,
  podStatusDelayMs: 50,
};

export interface AgentDeps {
  nodeName: string;
  mqtt: { url: string; username: string; password: string };
  runtime: ContainerRuntime;
  status: NodeStatusSource;
  /** The data dir: the state file and pod volumes live here. */
  stateDir: string;
  /** Where the state is kept instead of <stateDir>/agent-state.json (hollow agents: memory). */
  stateStore?: AgentStateStore;
  logger: Logger;
  /** The node's InternalIP; default: the local address of the connection to the master. */
  nodeIP?: string;
  clock?: Clock;
  /** A profile chosen by the caller (hollow agents load the profiles once); default: detected. */
  profile?: HardwareProfile;
  profilesDir?: string;
  options?: Partial<AgentTuning>;
  /** The service proxy to run (none: Services only feed pods' environment variables). */
  proxy?: AgentProxy;
  /** host:port to serve /metrics on (src/agent/metrics.ts); none when absent. */
  metricsAddress?: string;
}

export class AgentError extends Error {
  constructor(message: string, readonly nodeName: string) {
    super(message);
    this.name = 'AgentError';
  }
}

export class Agent {
  readonly nodeName: string;
  private readonly tuning: AgentTuning;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly store: AgentStateStore;
  private state: AgentState = emptyState();
  private link: MasterLink | undefined;
  private pods: PodManager | undefined;
  private reporter: NodeStatusReporter | undefined;
  private readonly podReports: PodReportBatcher;
  private logs: LogStreams | undefined;
  private services: AgentServices | undefined;
  private metrics: AgentMetrics | undefined;
  private learnedIP: string | undefined;
  private profile_: HardwareProfile | undefined;
  private started = false;

  constructor(private readonly d: AgentDeps) {
    if (!isValidNodeName(d.nodeName)) throw new AgentError(`invalid node name "${d.nodeName}": use lowercase letters, digits, "-" and "."`, d.nodeName);
    this.nodeName = d.nodeName;
    this.tuning = { ...defaultTuning, ...d.options };
    this.clock = d.clock ?? systemClock;
    this.log = d.logger.child({ node: d.nodeName });
    this.store = d.stateStore ?? new StateStore(d.stateDir);
    this.podReports = new PodReportBatcher(this.clock, this.tuning.podStatusDelayMs, (r) => this.publishPodStatus(r));
  }

  get profile(): HardwareProfile | undefined {
    return this.profile_;
  }

  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  get appliedRevision(): number {
    return this.state.appliedRevision;
  }

  /** The pod manager (tests and hollow agents look at it). */
  get podManager(): PodManager {
    if (!this.pods) throw new AgentError('the agent is not started', this.nodeName);
    return this.pods;
  }

  hostIP(): string {
    return this.d.nodeIP ?? this.learnedIP ?? guessNodeIP();
  }

  async start(): Promise<void> {
    if (this.started) return;
    // First: a taken address fails the start before pods, the proxy or the link do anything.
    if (this.d.metricsAddress) await this.startMetrics(this.d.metricsAddress);
    this.started = true;
    const facts = await this.d.status.facts();
    this.profile_ = this.d.profile ?? detectProfile(await loadProfiles(this.d.profilesDir), facts.deviceModel, facts.architecture);
    const saved = await this.store.load();
    if (saved) this.state = saved;
    this.log.info({ profile: this.profile_.id, pods: this.state.pods.size, appliedRevision: this.state.appliedRevision }, saved ? 'loaded local state' : 'no local state yet');

    this.services = new AgentServices({
      state: this.state, proxy: this.d.proxy, logger: this.log,
      publish: async (r) => (await this.link?.publish('proxy', r)) ?? false,
    });
    this.reporter = this.makeReporter(facts, this.profile_);
    this.pods = this.makePodManager(facts, this.profile_);
    this.logs = new LogStreams({
      nodeName: this.nodeName, runtime: this.d.runtime, logger: this.log,
      publish: async (m) => { if (!(await this.link?.publish('logs/data', m))) throw new Error('link to the master is down'); },
    });
    // Edge autonomy: run what was last wanted before, and without, the master.
    this.pods.setDesired(this.state.pods.values(), saved !== undefined);
    this.pods.start();
    await this.services.start();
    await this.reporter.start();

    this.link = new MasterLink({
      url: this.d.mqtt.url, nodeName: this.nodeName, username: this.d.mqtt.username, password: this.d.mqtt.password,
      logger: this.log, reconnectBaseMs: this.tuning.reconnectBaseMs, reconnectMaxMs: this.tuning.reconnectMaxMs,
      onConnect: (addr) => void this.onConnect(addr).catch((err: unknown) => this.log.warn({ err }, 'reporting after connecting failed')),
      onMessage: (leaf, payload) => this.onMessage(leaf, payload),
    });
    this.link.start();
  }

  /** Stop talking to the master and managing pods. Containers keep running. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.logs?.stopAll();
    this.reporter?.stop();
    this.podReports.flush();
    await this.link?.stop();
    await this.pods?.stop();
    await this.services?.stop();
    await this.metrics?.stop();
    this.metrics = undefined;
    await this.store.save(this.state).catch((err: unknown) => this.log.warn({ err }, 'saving local state failed'));
  }

  private makeReporter(facts: HostFacts, profile: HardwareProfile): NodeStatusReporter {
    return new NodeStatusReporter({
      nodeName: this.nodeName, source: this.d.status, runtime: this.d.runtime, profile, facts, clock: this.clock,
      heartbeatMs: this.tuning.heartbeatMs, maxPods: this.tuning.maxPods, logger: this.log,
      nodeIP: () => this.d.nodeIP ?? this.learnedIP,
      publish: (r) => void this.link?.publish('status', r).catch((err: unknown) => this.log.debug({ err }, 'status not sent')),
    });
  }

  private makePodManager(facts: HostFacts, profile: HardwareProfile): PodManager {
    const reserved = (k: 'cpu' | 'memory', f: (q: string) => number): number => f(profile.reserved.system[k]) + f(profile.reserved.agent[k]);
    return new PodManager({
      nodeName: this.nodeName, runtime: this.d.runtime, dataDir: this.d.stateDir, clock: this.clock, logger: this.log,
      hostIP: () => this.hostIP(), backoff: this.tuning.backoff, probeDefaults: this.tuning.probeDefaults, prober: this.tuning.prober,
      syncPeriodMs: this.tuning.syncPeriodMs, orphanGraceSeconds: this.tuning.orphanGraceSeconds,
      nodeCpuMillis: Math.max(0, facts.cpus * 1000 - reserved('cpu', cpuMillis)),
      nodeMemoryBytes: Math.max(0, facts.memoryBytes - reserved('memory', memoryBytes)),
      onStatus: (r) => this.podReports.add(r),
      serviceEnv: (pod) => this.services?.envFor(pod.metadata.namespace ?? 'default', pod.spec.enableServiceLinks !== false) ?? {},
      onRuntimeProblem: (m) => this.reporter?.setRuntimeProblem(m),
    });
  }

  private publishPodStatus(r: PodStatusReport): void {
    void this.link?.publish('podstatus', r).catch((err: unknown) => this.log.debug({ err }, 'pod status not sent'));
  }

  private async onConnect(localAddress: string | undefined): Promise<void> {
    const hello: Hello = { v: 1, type: 'hello', agentVersion: brambleVersion, appliedRevision: this.state.appliedRevision };
    void this.link?.publish('hello', hello).catch((err: unknown) => this.log.warn({ err }, 'hello not sent'));
    // Everything the master may have missed while the link was down. The node status goes
    // first: the master writes pod statuses after it, so they do not land on a Node still
    // marked unreachable (whose pods the node lifecycle controller marks not ready).
    let status = this.reporter?.current();
    if (!this.d.nodeIP && localAddress && localAddress !== this.learnedIP) {
      // A newly learned address: read the status again so this report already carries it.
      this.learnedIP = localAddress;
      status = await this.reporter?.reading();
    }
    if (status) void this.link?.publish('status', status).catch(() => undefined);
    this.resendPodStatuses();
    void this.services?.report(true);
  }

  /** The status of every pod this node runs, changed or not (after a reconnect, or when the master asks). */
  private resendPodStatuses(): void {
    for (const r of this.pods?.reports() ?? []) this.podReports.add(r);
    this.podReports.flush();
  }

  /** Loaded only when asked for: no HTTP server in an agent nobody scrapes. Counters are read at each scrape. */
  private async startMetrics(address: string): Promise<void> {
    const { AgentMetrics } = await import('./metrics.js');
    const metrics = new AgentMetrics({
      address, proxyCounters: () => this.services?.counters(),
      onError: (err) => this.log.warn({ err }, 'serving metrics failed'),
    });
    await metrics.start();
    this.metrics = metrics;
    this.log.info({ address: `http://${address}/metrics`, port: metrics.address?.port }, 'serving metrics');
  }

  /** Where /metrics listens (tests ask for port 0). */
  get metricsPort(): number | undefined {
    return this.metrics?.address?.port;
  }

  /** The service proxy's state (tests). */
  get proxy(): AgentServices | undefined {
    return this.services;
  }

  private onMessage(leaf: string, payload: Buffer): void {
    try {
      if (leaf === 'desired') this.applyDesired(decodeDesired(payload));
      else if (leaf === 'logs/request') this.logs?.handle(decodeLogsRequest(payload));
      else if (leaf === 'services' && this.services?.apply(decodeServices(payload))) this.saveState();
    } catch (err) {
      if (err instanceof ProtocolError) this.log.warn({ topic: leaf, err: err.message }, 'ignoring an invalid message from the master');
      else this.log.error({ err }, 'handling a message from the master failed');
    }
  }

  private applyDesired(m: DesiredMessage): void {
    const pods = this.pods;
    if (!pods) return;
    const s = this.state;
    if (m.type === 'resend') {
      // The master had this node marked unreachable (and its pods not ready) and has written
      // its node status back: every pod's report again, so their readiness returns too.
      this.log.info({ pods: pods.reports().length }, 'the master asked for every pod status again');
      this.resendPodStatuses();
      return;
    }
    if (m.type === 'sync') {
      s.pods = new Map(m.pods.filter((b) => b.pod.metadata.uid).map((b): [string, PodBundle] => [b.pod.metadata.uid!, b]));
      s.appliedRevision = m.revision;
      pods.setDesired(m.pods, true);
      this.reporter?.masterSynced(m.features);
      this.log.info({ pods: m.pods.length, revision: m.revision }, 'desired state synced');
    } else if (m.type === 'upsert') {
      const uid = m.bundle.pod.metadata.uid;
      if (!uid) return;
      this.log.debug({ pod: `${m.bundle.pod.metadata.namespace ?? 'default'}/${m.bundle.pod.metadata.name ?? ''}`, revision: m.revision }, 'pod upsert received');
      pods.upsert(m.bundle);
      const current = pods.desired().find((b) => b.pod.metadata.uid === uid);
      if (current) s.pods.set(uid, current);
      s.appliedRevision = Math.max(s.appliedRevision, m.revision);
    } else {
      s.pods.delete(m.uid);
      s.appliedRevision = Math.max(s.appliedRevision, m.revision);
      pods.remove(m.uid);
    }
    this.saveState();
  }

  private saveState(): void {
    void this.store.save(this.state).catch((err: unknown) => this.log.error({ err }, 'saving local state failed'));
  }
}

export interface StartAgentOptions {
  nodeName: string;
  masterUrl: string;
  token: string;
  dataDir: string;
  nodeIP?: string;
  runtime: 'docker' | 'fake';
  logger: Logger;
  dockerSocket?: string;
  /** The service proxy (default auto); 'off' runs none. */
  proxyMode?: 'auto' | 'iptables' | 'userspace' | 'off';
  /** --metrics-address; empty or absent: off. */
  metricsAddress?: string;
}

/** The CLI's factory: the real runtime and status source, loaded only when used. */
export async function startAgent(o: StartAgentOptions): Promise<Agent> {
  let runtime: ContainerRuntime;
  if (o.runtime === 'docker') {
    const { DockerRuntime } = await import('./runtime/docker.js');
    runtime = new DockerRuntime({ logger: o.logger, ...(o.dockerSocket ? { socketPath: o.dockerSocket } : {}) });
  } else {
    const { FakeRuntime } = await import('./runtime/fake.js');
    runtime = new FakeRuntime();
  }
  const { SystemInfoSource } = await import('./status/sysinfo.js');
  const requested = o.proxyMode ?? 'auto';
  const proxy = requested === 'off' ? undefined : await (await import('./proxy-setup.js')).makeAgentProxy({ requested, runtime, nodeIP: o.nodeIP, fallbackIP: guessNodeIP(), logger: o.logger });
  const agent = new Agent({
    nodeName: o.nodeName, mqtt: { url: o.masterUrl, username: o.nodeName, password: o.token }, runtime,
    status: new SystemInfoSource(o.dataDir), stateDir: path.resolve(o.dataDir), logger: o.logger, nodeIP: o.nodeIP,
    ...(proxy ? { proxy } : {}),
    ...(o.metricsAddress ? { metricsAddress: o.metricsAddress } : {}),
  });
  await agent.start();
  return agent;
}
