// The pod manager: a reconcile loop over the desired pods and what the runtime runs. Each pass
// lists the node's containers once, plans every pod (plan.ts), runs the actions of each pod as
// one task (pods never block one another; a busy pod is skipped), runs due probes, reports
// statuses that changed, and removes pods nobody wants. Passes come from changes, task and probe
// completions, and a timer (the earliest back-off, probe or retry, at most syncPeriodMs away).
import { createHash } from 'node:crypto';
import type { Logger } from '../../log/logger.js';
import type { Pod } from '../../api/schemas.js';
import type { PodBundle, PodStatusReport } from '../../protocol/messages.js';
import type { Clock, TimerHandle } from '../clock.js';
import { runtimeLabels, type ContainerInfo, type ContainerRuntime } from '../runtime/runtime.js';
import { describeRuntimeError } from '../status/reporter.js';
import { delayFor, type BackoffOptions } from './backoff.js';
import { sandboxHashLabels, stableStringify } from './hash.js';
import { buildPodStatus } from './pod-status.js';
import { allIds, currentSandbox, noteStarted, planPod, type Action, type StartSpec } from './plan.js';
import { defaultProber, newTally, record, type ProbeDefaults, type ProbeTally, type Prober } from './probes.js';
import { podRef, startContainer, type StartContext } from './starter.js';
import { prepareVolumes, removePodDir } from './volumes.js';
import { groupObserved, latest, newWorker, trackFor, type ObservedPod, type PodWorker } from './worker.js';

export interface PodManagerOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  /** The node's InternalIP: ports are published on it, pods see it as status.hostIP. */
  hostIP: () => string;
  backoff: BackoffOptions;
  probeDefaults: ProbeDefaults;
  prober?: Prober;
  /** Look at the runtime at least this often (containers exit without telling anyone). */
  syncPeriodMs: number;
  /** Grace for pods no longer wanted (gone from a sync). A `delete` kills at once. */
  orphanGraceSeconds: number;
  nodeCpuMillis: number;
  nodeMemoryBytes: number;
  onStatus: (r: PodStatusReport) => void;
  /** The service environment variables of a container of this pod starting now. */
  serviceEnv?: (pod: Pod) => Record<string, string>;
  /** A runtime call failed (message) or worked again (undefined). */
  onRuntimeProblem?: (message: string | undefined) => void;
}

/** Per bundle object: a changed pod, ConfigMap or Secret arrives as a new bundle, never as an edit of one. */
const volumesKeys = new WeakMap<PodBundle, string>();

function volumesKey(b: PodBundle): string {
  let key = volumesKeys.get(b);
  if (key === undefined) {
    key = createHash('sha256').update(stableStringify({ v: b.pod.spec.volumes, c: b.configMaps, s: b.secrets })).digest('hex');
    volumesKeys.set(b, key);
  }
  return key;
}

function resourceVersion(b: PodBundle): number {
  const n = Number(b.pod.metadata.resourceVersion);
  return Number.isFinite(n) ? n : 0;
}

/** The containers that start actions started. */
function startedNames(actions: readonly Action[]): string[] {
  return actions.flatMap((a) => (a.do === 'start' ? a.specs.map((spec) => spec.name) : []));
}

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  /** May pods that are not desired be removed? Not before a sync or a saved state said what is. */
  private authoritative = false;
  private passRequested = false;
  private loop: Promise<void> | undefined;
  private readonly tasks = new Set<Promise<void>>();
  private readonly probesInFlight = new Set<Promise<void>>();
  private readonly removing = new Set<string>();
  private timer: TimerHandle | undefined;
  private stopped = true;
  private readonly prober: Prober;
  private readonly log: Logger;
  private runtimeProblem: string | undefined;
  /** Numbers passes and task ends, to tell a pass's listing from a later task's work. */
  private seq = 0;

  constructor(private readonly o: PodManagerOptions) {
    this.prober = o.prober ?? defaultProber(o.runtime);
    this.log = o.logger.child({ component: 'pods' });
  }

  start(): void {
    this.stopped = false;
    this.requestPass();
  }

  /** Stop managing; containers keep running (the next agent takes them over). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.settle();
  }

  /** Replace the desired set (a sync, or the saved state at start-up). */
  setDesired(bundles: Iterable<PodBundle>, authoritative: boolean): void {
    const next = new Map<string, PodBundle>();
    for (const b of bundles) if (b.pod.metadata.uid) next.set(b.pod.metadata.uid, b);
    for (const uid of [...this.workers.keys()]) if (!next.has(uid)) this.workers.delete(uid);
    for (const b of next.values()) this.upsert(b);
    this.authoritative ||= authoritative;
    this.requestPass();
  }

  /** A pod added or changed. A stale copy (older resourceVersion) is ignored. */
  upsert(b: PodBundle): void {
    const uid = b.pod.metadata.uid;
    if (!uid) return;
    const w = this.workers.get(uid);
    if (!w) this.workers.set(uid, newWorker(b, this.o.clock.now()));
    else if (resourceVersion(b) >= resourceVersion(w.bundle)) w.bundle = b;
    this.requestPass();
  }

  /** The pod is gone from the API: stop and remove its containers now. */
  remove(uid: string): void {
    this.workers.delete(uid);
    this.track(this.tasks, this.removePod(uid, undefined, 0));
  }

  /** The latest status report of every pod (sent again after a reconnect). */
  reports(): PodStatusReport[] {
    return [...this.workers.values()].flatMap((w) => (w.report ? [w.report] : []));
  }

  desired(): PodBundle[] {
    return [...this.workers.values()].map((w) => w.bundle);
  }

  requestPass(): void {
    if (this.stopped) return;
    this.passRequested = true;
    if (this.loop) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
      if (this.passRequested) this.requestPass();
    });
  }

  /** Resolves when no pass, task or probe is running or asked for (tests; clean stop). */
  async settle(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      if (!this.loop && !(this.passRequested && !this.stopped) && this.tasks.size === 0 && this.probesInFlight.size === 0) return;
      await Promise.allSettled([this.loop, ...this.tasks, ...this.probesInFlight]);
      await new Promise((r) => setImmediate(r));
    }
  }

  private async runLoop(): Promise<void> {
    while (this.passRequested && !this.stopped) {
      this.passRequested = false;
      try {
        await this.pass();
      } catch (err) {
        this.log.error({ err }, 'pod sync pass failed');
        this.schedule(this.o.clock.now() + this.o.syncPeriodMs);
      }
    }
  }

  private setRuntimeProblem(message: string | undefined): void {
    if (message === this.runtimeProblem) return;
    this.runtimeProblem = message;
    if (message) this.log.warn({ problem: message }, 'container runtime unavailable');
    else this.log.info('container runtime available');
    this.o.onRuntimeProblem?.(message);
  }

  private async observe(): Promise<Map<string, ObservedPod> | undefined> {
    try {
      const list = await this.o.runtime.listContainers(this.o.nodeName);
      this.setRuntimeProblem(undefined);
      // listContainers returns only ours; the labels are checked again so nothing foreign is ever touched.
      const mine = list.filter((c: ContainerInfo) => c.labels[runtimeLabels.managed] === 'true' && c.labels[runtimeLabels.node] === this.o.nodeName && c.pod.uid);
      return groupObserved(mine);
    } catch (err) {
      this.setRuntimeProblem(describeRuntimeError(err));
      return undefined;
    }
  }

  private async pass(): Promise<void> {
    const seq = ++this.seq;
    const observed = await this.observe();
    const now = this.o.clock.now();
    let wake = now + this.o.syncPeriodMs;
    if (!observed) {
      this.schedule(wake);
      return;
    }
    // A pod's task manages its sandbox; a pod whose task ended after the listing is looked at next pass.
    const current = (w: PodWorker): boolean => w.touched < seq;
    await Promise.all([...this.workers.values()].filter((w) => !w.busy && current(w)).map((w) => this.refreshSandbox(w, observed.get(w.uid))));
    for (const w of this.workers.values()) {
      if (!current(w)) continue;
      const obs = observed.get(w.uid);
      if (!w.busy) {
        const plan = planPod(w, obs, { now, backoff: this.o.backoff, volumesKey: volumesKey(w.bundle) });
        if (plan.wakeAt !== undefined) wake = Math.min(wake, plan.wakeAt);
        if (plan.actions.length > 0) this.runTask(w, plan.actions, obs);
      }
      const probeAt = this.probe(w, obs, now);
      if (probeAt !== undefined) wake = Math.min(wake, probeAt);
      this.report(w, obs, now);
    }
    if (this.authoritative) {
      for (const [uid, obs] of observed) {
        if (!this.workers.has(uid) && !this.removing.has(uid)) this.track(this.tasks, this.removePod(uid, obs, this.o.orphanGraceSeconds));
      }
    }
    this.schedule(wake);
  }

  private schedule(at: number): void {
    this.timer?.cancel();
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => this.requestPass(), Math.max(0, at - this.o.clock.now()));
  }

  private track(set: Set<Promise<void>>, p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.log.error({ err }, 'pod task failed')).finally(() => {
      set.delete(tracked);
      this.requestPass();
    });
    set.add(tracked);
  }

  /** Learn the IP and published ports of a pod's (new) sandbox. */
  private async refreshSandbox(w: PodWorker, obs: ObservedPod | undefined): Promise<void> {
    const sb = currentSandbox(obs, w.bundle.pod);
    if (!sb) return;
    if (w.sandbox?.id !== sb.id) w.sandbox = (await this.o.runtime.inspectSandbox(sb.id).catch(() => undefined)) ?? w.sandbox;
  }

  private runTask(w: PodWorker, actions: Action[], obs: ObservedPod | undefined): void {
    w.busy = true;
    const run = async (): Promise<void> => {
      try {
        for (const a of actions) await this.act(w, a, obs);
        if (actions.some((a) => a.do === 'createSandbox' || a.do === 'start')) await this.followUp(w, actions);
      } finally {
        w.touched = ++this.seq;
        w.busy = false;
      }
    };
    this.track(this.tasks, run());
  }

  private wanted(w: PodWorker): boolean {
    return !this.stopped && this.workers.get(w.uid) === w && !w.bundle.pod.metadata.deletionTimestamp;
  }

  /**
   * Right after a start, without waiting for the next pass (which lists every container of the
   * node): a new sandbox gets its containers in the same task, and started containers are
   * reported at once (the user waits for Running). Both look at this pod's containers only.
   */
  private async followUp(w: PodWorker, done: Action[]): Promise<void> {
    const started = startedNames(done);
    if (done.some((a) => a.do === 'createSandbox') && w.sandbox && this.wanted(w)) {
      const obs = await this.observePod(w.uid);
      const plan = planPod(w, obs, { now: this.o.clock.now(), backoff: this.o.backoff, volumesKey: volumesKey(w.bundle) });
      const next = plan.actions.filter((a) => a.do === 'start');
      // Anything else (a stray sandbox to remove, say) is left to the next pass.
      if (next.length > 0 && next.length === plan.actions.length) {
        for (const a of next) await this.act(w, a, obs);
        started.push(...startedNames(next));
      }
    }
    if (started.length === 0 || !this.wanted(w)) return;
    const obs = await this.observePod(w.uid);
    const now = this.o.clock.now();
    if (obs) noteStarted(w, obs, started, now);
    this.report(w, obs, now);
  }

  private async act(w: PodWorker, a: Action, obs: ObservedPod | undefined): Promise<void> {
    const rt = this.o.runtime;
    const pod = w.bundle.pod.metadata;
    switch (a.do) {
      case 'terminate': return this.terminate(w, a.grace);
      case 'teardown':
        this.log.info({ pod: `${pod.namespace}/${pod.name}`, why: a.why }, 'recreating pod sandbox');
        await this.stopAll(obs, a.grace);
        for (const id of a.ids) await rt.removeContainer(id);
        w.sandbox = undefined;
        return;
      case 'remove':
        for (const id of a.ids) await rt.removeContainer(id);
        return;
      case 'createSandbox': return this.createSandbox(w);
      case 'refreshVolumes':
        await prepareVolumes(this.o.dataDir, w.bundle.pod, w.bundle.configMaps, w.bundle.secrets)
          .catch((err: unknown) => this.log.warn({ err, pod: `${pod.namespace}/${pod.name}` }, 'refreshing volumes failed'));
        w.volumesKey = volumesKey(w.bundle);
        return;
      case 'start': return this.startAll(w, a.specs);
      case 'kill':
        this.log.info({ pod: `${pod.namespace}/${pod.name}`, why: a.why }, 'killing container');
        await rt.stopContainer(a.id, a.grace);
        return;
    }
  }

  private async createSandbox(w: PodWorker): Promise<void> {
    const pod = w.bundle.pod;
    try {
      await prepareVolumes(this.o.dataDir, pod, w.bundle.configMaps, w.bundle.secrets);
      w.volumesKey = volumesKey(w.bundle);
      const ports = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c) => (c.ports ?? []).map((p) => ({
        containerName: c.name, ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' as const,
        hostIP: p.hostIP ?? this.o.hostIP(), hostPort: p.hostPort ?? 0,
      })));
      w.sandbox = await this.o.runtime.createSandbox({
        pod: podRef(pod, this.o.nodeName), hostname: pod.spec.hostname ?? pod.metadata.name ?? '', ports, labels: sandboxHashLabels(pod),
      });
      w.sandboxFailures = 0;
      w.retryAt = undefined;
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        const t = w.tracks.get(c.name);
        if (t?.waiting?.reason === 'ContainerCreating') t.waiting = undefined;
      }
    } catch (err) {
      w.sandboxFailures++;
      w.retryAt = this.o.clock.now() + delayFor(w.sandboxFailures, this.o.backoff);
      const message = err instanceof Error ? err.message : String(err);
      const reason = err instanceof Error && err.name === 'ContainerConfigError' ? 'CreateContainerConfigError' : 'ContainerCreating';
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        trackFor(w, c.name, (pod.spec.initContainers ?? []).includes(c)).waiting = { reason, message: reason === 'ContainerCreating' ? `creating the pod sandbox failed: ${message}` : message };
      }
      this.log.warn({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: message }, 'cannot create pod sandbox');
    }
  }

  private startContext(): StartContext {
    return {
      nodeName: this.o.nodeName, dataDir: this.o.dataDir, hostIP: this.o.hostIP(), runtime: this.o.runtime,
      now: () => this.o.clock.now(), backoff: this.o.backoff, nodeCpuMillis: this.o.nodeCpuMillis, nodeMemoryBytes: this.o.nodeMemoryBytes,
      onProgress: () => this.requestPass(),
      ...(this.o.serviceEnv ? { serviceEnv: this.o.serviceEnv } : {}),
    };
  }

  private async startAll(w: PodWorker, specs: StartSpec[]): Promise<void> {
    const sandbox = w.sandbox;
    if (!sandbox) return;
    const ctx = this.startContext();
    for (const s of specs) {
      const pod = w.bundle.pod;
      const spec = (s.init ? pod.spec.initContainers ?? [] : pod.spec.containers).find((c) => c.name === s.name);
      if (!spec) continue;
      for (const id of s.removeIds) await this.o.runtime.removeContainer(id);
      const t = trackFor(w, s.name, s.init);
      const id = await startContainer(spec, w.bundle, sandbox, s.restartCount, t, ctx);
      if (id) {
        t.restartCount = Math.max(t.restartCount, s.restartCount);
        this.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: s.name, restartCount: s.restartCount }, 'container started');
      } else {
        this.log.warn({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: s.name, reason: t.waiting?.reason, message: t.waiting?.message }, 'container did not start');
      }
    }
  }

  private async stopAll(obs: ObservedPod | undefined, grace: number): Promise<void> {
    const running = [...(obs?.containers.values() ?? [])].flat().filter((c) => c.state === 'running');
    await Promise.all(running.map((c) => this.o.runtime.stopContainer(c.id, grace)));
  }

  private async observePod(uid: string): Promise<ObservedPod | undefined> {
    const list = await this.o.runtime.listContainers(this.o.nodeName, uid);
    return groupObserved(list.filter((c) => c.pod.uid === uid && c.labels[runtimeLabels.managed] === 'true')).get(uid);
  }

  /** Graceful deletion: stop within the grace period, remove everything, then say so. */
  private async terminate(w: PodWorker, grace: number): Promise<void> {
    const pod = w.bundle.pod.metadata;
    this.log.info({ pod: `${pod.namespace}/${pod.name}`, grace }, 'terminating pod');
    await this.stopAll(await this.observePod(w.uid), grace);
    const after = await this.observePod(w.uid);
    w.finalStatus = buildPodStatus(w, after, { now: this.o.clock.now(), hostIP: this.o.hostIP(), runtimeName: this.o.runtime.name, deleting: true });
    for (const id of allIds(after)) await this.o.runtime.removeContainer(id);
    await removePodDir(this.o.dataDir, w.uid);
    w.terminated = true;
    w.sandbox = undefined;
  }

  /** Stop and remove every container of a pod nobody wants, and its files. */
  private async removePod(uid: string, obs: ObservedPod | undefined, grace: number): Promise<void> {
    this.removing.add(uid);
    try {
      const current = obs ?? await this.observePod(uid);
      await this.stopAll(current, grace);
      for (const id of allIds(current)) await this.o.runtime.removeContainer(id);
      await removePodDir(this.o.dataDir, uid);
      this.log.info({ uid }, 'removed pod');
    } finally {
      this.removing.delete(uid);
    }
  }

  /** Launch the probes that are due; returns when the next one is. */
  private probe(w: PodWorker, obs: ObservedPod | undefined, now: number): number | undefined {
    if (w.terminal || w.bundle.pod.metadata.deletionTimestamp || !w.sandbox) return undefined;
    let next: number | undefined;
    for (const c of w.bundle.pod.spec.containers) {
      const t = w.tracks.get(c.name);
      const cur = latest(obs?.containers.get(c.name));
      if (!t || !cur || cur.state !== 'running' || t.instanceId !== cur.id || t.runningSince === undefined) continue;
      if (t.probes.length === 0) {
        if (c.startupProbe) t.probes.push(newTally('startup', c.startupProbe, t.runningSince));
        if (c.livenessProbe) t.probes.push(newTally('liveness', c.livenessProbe, t.runningSince));
        if (c.readinessProbe) t.probes.push(newTally('readiness', c.readinessProbe, t.runningSince));
      }
      const startup = t.probes.find((p) => p.kind === 'startup');
      const gateOpen = !startup || startup.verdict === true;
      for (const tally of t.probes) {
        if (tally.inFlight || (tally.kind === 'startup' ? tally.verdict !== undefined : !gateOpen)) continue;
        if (tally.nextAt <= now) this.launchProbe(w, tally, cur.id, c.name);
        else next = next === undefined ? tally.nextAt : Math.min(next, tally.nextAt);
      }
    }
    return next;
  }

  private launchProbe(w: PodWorker, tally: ProbeTally, containerId: string, name: string): void {
    const spec = w.bundle.pod.spec.containers.find((c) => c.name === name);
    if (!spec || !w.sandbox) return;
    tally.inFlight = true;
    const timeoutMs = (tally.probe.timeoutSeconds || this.o.probeDefaults.timeoutSeconds) * 1000;
    const run = async (): Promise<void> => {
      const outcome = await this.prober(tally.probe, { containerId, podIP: w.sandbox!.ip, container: spec }, timeoutMs)
        .catch((err: unknown) => ({ ok: false, message: err instanceof Error ? err.message : String(err) }));
      tally.inFlight = false;
      if (w.tracks.get(name)?.instanceId !== containerId) return; // the container was replaced meanwhile
      if (record(tally, outcome, this.o.clock.now(), this.o.probeDefaults)) {
        this.log.info({ pod: `${w.bundle.pod.metadata.namespace}/${w.bundle.pod.metadata.name}`, container: name, probe: tally.kind, ok: tally.verdict, message: outcome.message }, 'probe verdict changed');
      }
    };
    this.track(this.probesInFlight, run());
  }

  private report(w: PodWorker, obs: ObservedPod | undefined, now: number): void {
    const pod = w.bundle.pod.metadata;
    const status = w.terminated && w.finalStatus
      ? w.finalStatus
      : buildPodStatus(w, obs, { now, hostIP: this.o.hostIP(), runtimeName: this.o.runtime.name });
    const report: PodStatusReport = {
      v: 1, type: 'podstatus', namespace: pod.namespace ?? 'default', name: pod.name ?? '', uid: w.uid, status,
      ...(w.terminated ? { terminated: true } : {}),
    };
    // Unchanged (as the JSON sent): nothing to say.
    const key = JSON.stringify(report);
    if (key === w.reportKey) return;
    w.reportKey = key;
    w.report = report;
    this.log.debug({ pod: `${report.namespace}/${report.name}`, phase: status.phase }, 'pod status changed');
    this.o.onStatus(report);
  }
}
