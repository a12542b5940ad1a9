// `--metrics-address`: the agent's own /metrics, as kube-proxy serves its own on :10249. The
// proxy's per service port counters under the names the master uses (src/master/proxy-metrics.ts),
// without the `node` label (this is the node), plus a few process gauges. Plain node:http and
// hand-written text exposition: prom-client (and its default collectors) stays out of an agent
// that aims at ≤ 60 MB RSS. Loaded only when the flag is given.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyReport } from '../protocol/messages.js';
import { splitPortKey } from '../proxy/state.js';
import { parseHostPort } from './host-port.js';

/** Prometheus text format 0.0.4, what scrapers expect without content negotiation. */
export const contentType = 'text/plain; version=0.0.4; charset=utf-8';

/** What one scrape shows: the proxy's counters (absent: no proxy runs) and the process figures. */
export interface MetricsSnapshot {
  proxy: ProxyReport | undefined;
  residentMemoryBytes: number;
  startTimeSeconds: number;
  cpuSeconds: number;
}

const proxyFamilies = [
  ['connections', 'bramble_proxy_connections_total', 'Connections (TCP) or flows (UDP) this node\'s service proxy accepted, by service and port'],
  ['bytesIn', 'bramble_proxy_bytes_in_total', 'Bytes from clients to endpoints through this node\'s service proxy'],
  ['bytesOut', 'bramble_proxy_bytes_out_total', 'Bytes from endpoints back to clients through this node\'s service proxy'],
  ['failed', 'bramble_proxy_failed_connections_total', 'Connections that found no reachable endpoint'],
] as const;

/** Label values: backslash, double quote and newline escaped (the text format's rule). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];
}

/** A service port key → the labels the master gives it (without `node`). */
function labels(key: string): string {
  const { service, port } = splitPortKey(key);
  return `service="${escapeLabel(service)}",port="${escapeLabel(port)}"`;
}

/** The exposition text. Ports sorted by key, so scrapes diff cleanly; only ports with traffic have series (as on the master). */
export function renderMetrics(s: MetricsSnapshot): string {
  const lines: string[] = [];
  if (s.proxy) {
    const ports = [...s.proxy.services].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const [field, name, help] of proxyFamilies) lines.push(...family(name, 'counter', help, ports.map((c) => `${name}{${labels(c.key)}} ${c[field]}`)));
    lines.push(...family('bramble_proxy_mode', 'gauge', 'The proxy mode this node runs: 1 for its mode', [`bramble_proxy_mode{mode="${escapeLabel(s.proxy.mode)}"} 1`]));
  }
  lines.push(
    ...family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes', [`process_resident_memory_bytes ${s.residentMemoryBytes}`]),
    ...family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds', [`process_start_time_seconds ${s.startTimeSeconds}`]),
    ...family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds', [`process_cpu_seconds_total ${s.cpuSeconds}`]),
  );
  return `${lines.join('\n')}\n`;
}

/** This process's figures, read at scrape time (no timers, nothing kept). */
export function processSnapshot(): Omit<MetricsSnapshot, 'proxy'> {
  const cpu = process.cpuUsage();
  return {
    residentMemoryBytes: process.memoryUsage.rss(),
    startTimeSeconds: Math.round(Date.now() / 1000 - process.uptime()),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export interface AgentMetricsOptions {
  /** `host:port`, as given to --metrics-address. Port 0: any free port (tests). */
  address: string;
  /** The proxy's counters report at scrape time (AgentServices.counters); undefined without a proxy. */
  proxyCounters: () => ProxyReport | undefined;
  /** Process figures (default: this process's). */
  processStats?: () => Omit<MetricsSnapshot, 'proxy'>;
  /** A failed scrape or a server error once listening (logged by the agent): neither may take the agent down. */
  onError?: (err: unknown) => void;
}

/** Why the endpoint cannot listen, in words naming the flag (the agent's start fails with it). */
export class MetricsAddressError extends Error {
  constructor(address: string, err: NodeJS.ErrnoException) {
    const why = err.code === 'EADDRINUSE' ? 'the address is in use (another agent, or kube-proxy on :10249?)'
      : err.code === 'EADDRNOTAVAIL' ? 'not an address of this host'
        : err.code === 'EACCES' ? 'permission denied (ports below 1024 need root)'
          : err.message;
    super(`--metrics-address ${address}: cannot listen: ${why}`);
    this.name = 'MetricsAddressError';
  }
}

export class AgentMetrics {
  private server: Server | undefined;

  constructor(private readonly o: AgentMetricsOptions) {}

  /** Where it listens (the real port when 0 was asked). */
  get address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const hp = parseHostPort(this.o.address);
    if (!hp) throw new Error(`--metrics-address ${this.o.address}: expected host:port, e.g. 127.0.0.1:10249`);
    const server = createServer((req, res) => this.handle(req, res));
    // A scraper or two, not a web server: a few connections at most, each with a short leash.
    server.maxConnections = 16;
    server.requestTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new MetricsAddressError(this.o.address, err)));
      server.listen(hp.port, hp.host, () => resolve());
    });
    server.on('error', (err) => this.o.onError?.(err));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // close() alone waits for a scrape in flight (idle keep-alive ones it closes itself)
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
    // HEAD is GET without the body (node:http drops it), as HTTP asks of every GET resource.
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
    let body: string;
    try {
      body = renderMetrics({ proxy: this.o.proxyCounters(), ...(this.o.processStats ?? processSnapshot)() });
    } catch (err) {
      this.o.onError?.(err);
      return void res.writeHead(500, { 'content-type': 'text/plain' }).end('reading the counters failed\n');
    }
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
  }
}
