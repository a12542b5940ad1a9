// The heartbeat loop: every heartbeatMs a fresh reading and a status report; at once when
// something meaningful (a condition, capacity, an address, the runtime) changes.
import type { Logger } from '../../log/logger.js';
import type { NodeHeartbeat, NodeStatusReport } from '../../protocol/messages.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { HardwareProfile } from '../hardware.js';
import { RuntimeUnavailableError, type ContainerRuntime } from '../runtime/runtime.js';
import type { RuntimeHealth } from './conditions.js';
import { buildNodeStatus, meaningfulSignature, statusDigest } from './node-status.js';
import type { HostFacts, NodeStatusSource } from './source.js';

export interface ReporterDeps {
  nodeName: string;
  source: NodeStatusSource;
  runtime: ContainerRuntime;
  profile: HardwareProfile;
  facts: HostFacts;
  clock: Clock;
  heartbeatMs: number;
  maxPods: number;
  logger: Logger;
  nodeIP: () => string | undefined;
  /** Deliver a report (the agent drops it while the link is down). */
  publish: (r: NodeStatusReport | NodeHeartbeat) => void;
  /** With a master that takes compact heartbeats: a full report at least every this many beats (default 6). */
  fullEvery?: number;
}

export function describeRuntimeError(err: unknown): string {
  if (err instanceof RuntimeUnavailableError) return `${err.message}. ${err.hint}`;
  return err instanceof Error ? err.message : String(err);
}

export class NodeStatusReporter {
  private timer: TimerHandle | undefined;
  private last: NodeStatusReport | undefined;
  private lastSignature = '';
  private running = false;
  private inFlight: Promise<void> | undefined;
  /** Set by the pod manager when a runtime call fails, cleared when one succeeds. */
  private runtimeProblem: string | undefined;
  /** The master's last sync listed the "heartbeat" feature. */
  private heartbeats = false;
  private beatsSinceFull = 0;
  private fullWanted = false;

  constructor(private readonly d: ReporterDeps) {}

  start(): Promise<void> {
    this.running = true;
    return this.tick();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
  }

  /** The latest report (sent again after a reconnect), in the base protocol any master accepts. */
  current(): NodeStatusReport | undefined {
    return this.last;
  }

  /**
   * The master sent a sync: answer with a full report now, and send compact heartbeats from
   * here on if it lists the "heartbeat" feature (a master that does not, e.g. an older one,
   * gets full reports every beat, as before).
   */
  masterSynced(features: readonly string[] | undefined): void {
    this.heartbeats = features?.includes('heartbeat') ?? false;
    this.fullWanted = true;
    void this.refresh().then(() => { if (this.fullWanted) void this.refresh(); });
  }

  /** The pod manager saw the runtime fail or recover: report at once if that changes Ready. */
  setRuntimeProblem(message: string | undefined): void {
    if (message === this.runtimeProblem) return;
    this.runtimeProblem = message;
    void this.refresh();
  }

  /** Take a reading now; publish if it differs meaningfully from the last report. */
  refresh(): Promise<void> {
    if (!this.inFlight) this.inFlight = this.measure(false).finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  private async tick(): Promise<void> {
    this.timer?.cancel();
    await this.measure(true);
    if (this.running) this.timer = this.d.clock.setTimeout(() => void this.tick(), this.d.heartbeatMs);
  }

  private async runtimeHealth(): Promise<{ health: RuntimeHealth; version?: string }> {
    try {
      const v = await this.d.runtime.version();
      if (this.runtimeProblem) return { health: { ok: false, message: this.runtimeProblem }, version: `${v.runtime}://${v.version}` };
      return { health: { ok: true }, version: `${v.runtime}://${v.version}` };
    } catch (err) {
      return { health: { ok: false, message: describeRuntimeError(err) } };
    }
  }

  /**
   * A fresh reading, kept as the latest report but not published: the caller sends it (the
   * agent, right after connecting, when it has just learned its address).
   */
  async reading(): Promise<NodeStatusReport | undefined> {
    try {
      await this.read();
    } catch (err) {
      this.d.logger.warn({ err }, 'node status reading failed');
    }
    return this.last;
  }

  /** Builds a report from a fresh reading and keeps it as the latest; true when it differs meaningfully from the one before. */
  private async read(): Promise<{ report: NodeStatusReport; sig: string; changed: boolean }> {
    const [rt, sample] = await Promise.all([this.runtimeHealth(), this.d.source.sample().catch(() => ({}))]);
    const report = buildNodeStatus({
      nodeName: this.d.nodeName, facts: this.d.facts, profile: this.d.profile, runtime: rt.health,
      runtimeVersion: rt.version, sample, nodeIP: this.d.nodeIP(), maxPods: this.d.maxPods,
      now: new Date(this.d.clock.now()), previousConditions: this.last?.status.conditions,
    });
    const sig = meaningfulSignature(report);
    const changed = sig !== this.lastSignature;
    this.last = report;
    this.lastSignature = sig;
    return { report, sig, changed };
  }

  private async measure(heartbeat: boolean): Promise<void> {
    try {
      const { report, sig, changed } = await this.read();
      if (changed && !heartbeat) this.d.logger.info({ ready: report.status.conditions?.[0]?.status }, 'node status changed');
      const full = changed || this.fullWanted || !this.heartbeats || this.beatsSinceFull + 1 >= (this.d.fullEvery ?? 6);
      if (!(heartbeat || changed || this.fullWanted)) return;
      this.fullWanted = false;
      if (!this.heartbeats) {
        this.d.publish(report);
      } else if (full) {
        this.beatsSinceFull = 0;
        this.d.publish({ ...report, sig: statusDigest(sig) });
      } else {
        this.beatsSinceFull++;
        const hb: NodeHeartbeat = { v: 1, type: 'heartbeat', sig: statusDigest(sig) };
        if (report.status.usage) hb.usage = report.status.usage;
        this.d.publish(hb);
      }
    } catch (err) {
      this.d.logger.warn({ err }, 'node status reading failed');
    }
  }
}
