// The userspace proxy: a TCP or UDP listener in this process for every address and port a
// service port is served on (NodePorts on the node's addresses, proxyPorts on the address pods
// reach, local externalIPs), forwarding to the ready endpoints (hostIP:hostPort) with
// round-robin, failover and ClientIP affinity. Used where the packet filter cannot be programmed.
//
// sync() diffs listeners by (protocol, address, port): unchanged ones are not touched, so an
// endpoint change never disturbs a listener or its live connections; only the service port's
// entry (endpoints, affinity) is replaced in place. Syncs run one at a time, in call order.
import type { Logger } from '../../log/logger.js';
import type { ProxyBackend, ProxyState, ServicePortCounters } from '../types.js';
import { localAddressChecker, planListeners, type ListenSpec } from './plan.js';
import { ServicePort } from './service.js';
import { defaultDial, TcpListener, type Dial } from './tcp.js';
import { ReadBuffers, type ReadBufferOptions } from './read-buffers.js';
import { UdpListener } from './udp.js';

export interface UserspaceProxyOptions {
  /** Where NodePorts are served (default ['0.0.0.0']). */
  nodeAddresses?: string[];
  /** Where proxyPorts are served for pods (e.g. the container bridge's gateway); none when undefined. */
  serviceAddress?: string;
  logger: Logger;
  /** Opens a TCP connection to an endpoint (default: net.connect with noDelay). */
  dial?: Dial;
  /** How long a connect may take before the next endpoint is tried (default 1000 ms). */
  connectTimeoutMs?: number;
  /** A UDP flow idle this long is closed (default 30 000 ms). */
  udpIdleMs?: number;
  /** UDP flows per listener (default 4096). */
  maxUdpFlows?: number;
  /**
   * Socket high-water mark for forwarded TCP connections (default 64 KiB). It bounds what a
   * stalled connection holds here (about 4× it); 256 KiB and 1 MiB moved no more bytes per CPU
   * second in the bench, so the smaller one saves memory on small devices.
   */
  highWaterMark?: number;
  /** Per-socket read buffers for TCP (read-buffers.ts; default 16 KiB growing to 1 MiB, 16 MiB of growth in all). */
  readBuffers?: ReadBufferOptions;
  /** Whether an externalIP is an address of this node (default: os.networkInterfaces(), plus 127/8). */
  isLocalAddress?: (ip: string) => boolean;
  /** Clock for affinity expiry, in ms (tests). */
  now?: () => number;
}

/** A listener that could not be opened in the last sync (retried on the next one). */
export interface ListenFailure {
  key: string;
  id: string;
  error: string;
}

type Listener = TcpListener | UdpListener;

export class UserspaceProxy implements ProxyBackend {
  readonly mode = 'userspace' as const;
  private readonly log: Logger;
  private readonly services = new Map<string, ServicePort>();
  private readonly listeners = new Map<string, Listener>();
  private failures: ListenFailure[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly dial: Dial;
  private readonly readBuffers: ReadBuffers;

  constructor(private readonly opts: UserspaceProxyOptions) {
    this.log = opts.logger;
    this.dial = opts.dial ?? defaultDial(this.highWaterMark);
    this.readBuffers = new ReadBuffers(opts.readBuffers);
  }

  /** Bytes the TCP sockets' read buffers hold above their minimum (bounded by the budget). */
  readBufferBytes(): number {
    return this.readBuffers.held;
  }

  private get highWaterMark(): number {
    return this.opts.highWaterMark ?? 64 * 1024;
  }

  async start(): Promise<void> {
    // Nothing to set up before the first sync: listeners are opened by it.
  }

  sync(state: ProxyState): Promise<void> {
    const run = this.queue.then(() => this.apply(state));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    await this.sync({ ports: [] });
  }

  counters(): ServicePortCounters[] {
    return [...this.services.values()].map((s) => ({ ...s.counters }));
  }

  /** Listeners that failed to open in the last sync (e.g. EADDRINUSE); each is retried by the next sync. */
  listenFailures(): ListenFailure[] {
    return [...this.failures];
  }

  /** The `PROTO address:port` of every open listener. */
  listening(): string[] {
    return [...this.listeners.keys()].sort();
  }

  /** What is open now: TCP sockets (both sides of each connection) and UDP flows. */
  openConnections(): { tcpSockets: number; udpFlows: number } {
    let tcpSockets = 0;
    let udpFlows = 0;
    for (const l of this.listeners.values()) {
      if (l instanceof TcpListener) tcpSockets += l.socketCount;
      else udpFlows += l.flowCount;
    }
    return { tcpSockets, udpFlows };
  }

  /** Bytes of forwarded TCP data held in this process (bounded by backpressure). */
  bufferedBytes(): number {
    let n = 0;
    for (const l of this.listeners.values()) if (l instanceof TcpListener) n += l.bufferedBytes();
    return n;
  }

  private async apply(state: ProxyState): Promise<void> {
    const plan = planListeners(state, {
      nodeAddresses: this.opts.nodeAddresses ?? ['0.0.0.0'],
      serviceAddress: this.opts.serviceAddress,
      isLocal: this.opts.isLocalAddress ?? localAddressChecker(),
    });
    for (const n of plan.notLocal) this.log.debug({ key: n.key, ip: n.ip }, 'externalIP is not on this node; not served here');
    this.updateServices(state);
    await this.closeStale(plan.specs);
    const failures: ListenFailure[] = plan.conflicts.map((c) => ({ key: c.key, id: c.id, error: `already served for ${c.owner}` }));
    await Promise.all([...plan.specs.values()].filter((s) => !this.listeners.has(s.id)).map(async (spec) => {
      const error = await this.openListener(spec);
      if (error !== undefined) failures.push({ key: spec.key, id: spec.id, error });
    }));
    for (const f of failures) this.log.warn({ key: f.key, listener: f.id, error: f.error }, 'proxy cannot serve a service port here; retrying on the next sync');
    this.failures = failures;
  }

  /** New entries in place (endpoints, affinity); service ports no longer in the state are forgotten. */
  private updateServices(state: ProxyState): void {
    const keep = new Set<string>();
    for (const e of state.ports) {
      keep.add(e.key);
      const svc = this.services.get(e.key);
      if (svc) svc.update(e);
      else this.services.set(e.key, new ServicePort(e, this.opts.now));
    }
    for (const key of this.services.keys()) if (!keep.has(key)) this.services.delete(key);
  }

  /** Closes listeners not wanted any more, or now wanted for another service port, with their connections. */
  private async closeStale(specs: Map<string, ListenSpec>): Promise<void> {
    const stale: Listener[] = [];
    for (const [id, l] of this.listeners) {
      const spec = specs.get(id);
      if (spec && spec.key === l.service.entry.key && this.services.get(spec.key) === l.service) continue;
      this.listeners.delete(id);
      stale.push(l);
    }
    await Promise.all(stale.map((l) => l.close()));
  }

  private async openListener(spec: ListenSpec): Promise<string | undefined> {
    const svc = this.services.get(spec.key)!;
    const l: Listener = spec.protocol === 'UDP'
      ? new UdpListener(spec.address, spec.port, svc, { idleMs: this.opts.udpIdleMs ?? 30_000, maxFlows: this.opts.maxUdpFlows ?? 4096, logger: this.log })
      : new TcpListener(spec.address, spec.port, svc, { dial: this.dial, connectTimeoutMs: this.opts.connectTimeoutMs ?? 1000, highWaterMark: this.highWaterMark, readBuffers: this.readBuffers, logger: this.log });
    try {
      await l.open();
    } catch (err) {
      await l.close();
      return (err as NodeJS.ErrnoException).code ?? String(err);
    }
    this.listeners.set(spec.id, l);
    return undefined;
  }
}
