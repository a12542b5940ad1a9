// The Services a node knows (pushed by the master, kept in the state file) and the proxy
// backend serving them. Edge autonomy: the last known Services are served from the state file
// at start, before and without the master. Backend syncs are coalesced (src/proxy/coalesce.ts).
import type { Logger } from '../log/logger.js';
import type { ProxyReport, ServiceBundle, ServicesMessage } from '../protocol/messages.js';
import { SyncLoop } from '../proxy/coalesce.js';
import { portKey, stateOf } from '../proxy/state.js';
import type { ProxyBackend, ProxyState, ServicePortEntry } from '../proxy/types.js';
import { serviceEnv, type ServiceEnvTarget } from './pods/service-env.js';

/** The proxy an agent runs, and where its pods reach services. */
export interface AgentProxy {
  backend: ProxyBackend;
  envTarget: ServiceEnvTarget;
}

export interface ServicesState {
  services: Map<string, ServiceBundle>;
  servicesRevision: number;
}

export interface AgentServicesOptions {
  state: ServicesState;
  proxy: AgentProxy | undefined;
  logger: Logger;
  /** Sends a counters report (false when the link is down). */
  publish: (r: ProxyReport) => Promise<boolean>;
  /** How often counters are reported when they changed (default 30 s). */
  reportEveryMs?: number;
  /** A failed backend sync is retried after this long (default 5 s). */
  retryMs?: number;
}

export const serviceKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** Bundles → what a backend serves: one entry per TCP/UDP port. */
export function proxyStateOf(bundles: Iterable<ServiceBundle>): ProxyState {
  const ports: ServicePortEntry[] = [];
  for (const b of bundles) {
    for (const p of b.ports) {
      if (p.protocol === 'SCTP') continue; // neither backend serves SCTP
      const e: ServicePortEntry = {
        key: portKey(b.namespace, b.name, p.name ?? ''), namespace: b.namespace, service: b.name, portName: p.name ?? '',
        protocol: p.protocol, port: p.port, externalIPs: b.externalIPs ?? [], endpoints: p.endpoints,
      };
      if (b.clusterIP !== undefined) e.clusterIP = b.clusterIP;
      if (p.nodePort !== undefined) e.nodePort = p.nodePort;
      if (p.proxyPort !== undefined) e.proxyPort = p.proxyPort;
      if (b.affinitySeconds !== undefined) e.affinitySeconds = b.affinitySeconds;
      ports.push(e);
    }
  }
  return stateOf(ports);
}

export class AgentServices {
  private readonly log: Logger;
  private started = false;
  private readonly loop: SyncLoop;
  private reporter: NodeJS.Timeout | undefined;
  private lastReport = '';
  private readonly since = new Date().toISOString();

  constructor(private readonly o: AgentServicesOptions) {
    this.log = o.logger.child({ component: 'proxy' });
    this.loop = new SyncLoop({
      run: () => o.proxy!.backend.sync(proxyStateOf(o.state.services.values())),
      onError: (err) => this.log.warn({ err }, 'proxy sync failed; retrying'),
      ...(o.retryMs !== undefined ? { retryMs: o.retryMs } : {}),
    });
  }

  get mode(): string {
    return this.o.proxy?.backend.mode ?? 'none';
  }

  /** Backend syncs done (tests look at coalescing). */
  get syncs(): number {
    return this.loop.runs;
  }

  /** Starts the backend and serves the services known now (from the state file). */
  async start(): Promise<void> {
    const proxy = this.o.proxy;
    if (!proxy || this.started) return;
    await proxy.backend.start();
    this.started = true;
    this.loop.kick();
    this.loop.start();
    this.reporter = setInterval(() => void this.report(), this.o.reportEveryMs ?? 30_000);
    this.reporter.unref();
  }

  /** Stops the backend: its listeners closed, its chains removed. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.reporter);
    await this.loop.stop();
    await this.o.proxy?.backend.stop().catch((err: unknown) => this.log.warn({ err }, 'stopping the proxy failed'));
  }

  /** Applies a message; true when the known services changed (the caller saves the state). */
  apply(m: ServicesMessage): boolean {
    const s = this.o.state;
    if (m.type === 'services.sync') {
      s.services = new Map(m.services.map((b): [string, ServiceBundle] => [serviceKey(b.namespace, b.name), b]));
      s.servicesRevision = m.revision;
      this.log.info({ services: m.services.length, revision: m.revision }, 'services synced');
    } else if (m.type === 'services.upsert') {
      const key = serviceKey(m.service.namespace, m.service.name);
      // Redelivered or overtaken: what is known is newer. Applying the same one twice is harmless.
      if ((s.services.get(key)?.revision ?? -1) > m.service.revision) return false;
      s.services.set(key, m.service);
      s.servicesRevision = Math.max(s.servicesRevision, m.revision);
    } else {
      if (!s.services.delete(serviceKey(m.namespace, m.name))) return false;
      s.servicesRevision = Math.max(s.servicesRevision, m.revision);
    }
    this.loop.kick();
    return true;
  }

  /** The service environment variables for a container of `pod` starting now. */
  envFor(namespace: string, enableServiceLinks: boolean): Record<string, string> {
    return serviceEnv(this.o.state.services.values(), namespace, enableServiceLinks, this.o.proxy?.envTarget ?? { mode: 'iptables' });
  }

  /** Resolves when no sync is in flight or wanted. */
  settled(): Promise<void> {
    return this.loop.settled();
  }

  /** The counters report: only ports with traffic. */
  counters(): ProxyReport | undefined {
    const b = this.o.proxy?.backend;
    if (!b) return undefined;
    const services = b.counters().filter((c) => c.connections + c.bytesIn + c.bytesOut + c.failed > 0)
      .map((c) => ({ key: c.key, connections: c.connections, bytesIn: c.bytesIn, bytesOut: c.bytesOut, failed: c.failed }));
    return { v: 1, type: 'proxy', mode: b.mode, since: this.since, services };
  }

  /** Sends the counters when they changed since the last report sent (or always, after a reconnect). */
  async report(force = false): Promise<void> {
    const r = this.counters();
    if (!r || !this.started) return;
    const text = JSON.stringify(r.services);
    if (!force && text === this.lastReport) return;
    if (await this.o.publish(r).catch(() => false)) this.lastReport = text;
  }
}
