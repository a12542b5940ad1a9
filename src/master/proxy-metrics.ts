// Per service port proxy counters in the master's /metrics: from the gateway's own proxy (read
// at scrape time) and from every node's reports (the `proxy` leaf). Nodes report cumulative
// counters since their proxy started (`since`); they are turned into increments here, so the
// series are true Prometheus counters across reports, agent restarts and lost messages.
import { Counter, Gauge, type Registry } from 'prom-client';
import { splitPortKey } from '../proxy/state.js';
import type { ServicePortCounters } from '../proxy/types.js';

type Field = 'connections' | 'bytesIn' | 'bytesOut' | 'failed';
const fields: Field[] = ['connections', 'bytesIn', 'bytesOut', 'failed'];
type Labels = 'service' | 'port' | 'node';

/** The node label of the gateway's own proxy. */
const gatewayNodeLabel = '(gateway)';

export interface CounterReport {
  mode: string;
  /** When these counters started at 0 (a different value: they restarted). */
  since: string;
  services: ServicePortCounters[];
}

/** A service port key → its labels on this node's series. */
function labelsOf(key: string, node: string): Record<Labels, string> {
  return { ...splitPortKey(key), node };
}

export class ProxyMetrics {
  private readonly counters: Record<Field, Counter<Labels>>;
  private readonly mode: Gauge<'node' | 'mode'>;
  /** node → since and the last cumulative values per key. */
  private readonly last = new Map<string, { since: string; mode: string; values: Map<string, ServicePortCounters> }>();
  /** Where the gateway's own counters come from (read at each scrape). */
  local: (() => CounterReport | undefined) | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const pull = (): void => { const r = this.local?.(); if (r) this.observe(gatewayNodeLabel, r); };
    const make = (name: string, help: string, collect?: () => void): Counter<Labels> =>
      new Counter({ name, help, labelNames: ['service', 'port', 'node'], registers, ...(collect ? { collect } : {}) });
    this.counters = {
      // One pull per scrape: observe() updates all four counters and the mode gauge at once, so
      // only the first metric registered collects. registry.metrics() calls each metric's get()
      // in registration order, and this collect is synchronous, so the later ones read the
      // values it just set. (A collect on each counter read the gateway's counters four times.)
      connections: make('bramble_proxy_connections_total', 'Connections (TCP) or flows (UDP) the service proxy accepted, by service, port and node', pull),
      bytesIn: make('bramble_proxy_bytes_in_total', 'Bytes from clients to endpoints through the service proxy'),
      bytesOut: make('bramble_proxy_bytes_out_total', 'Bytes from endpoints back to clients through the service proxy'),
      failed: make('bramble_proxy_failed_connections_total', 'Connections that found no reachable endpoint'),
    };
    this.mode = new Gauge({ name: 'bramble_proxy_mode', help: 'The proxy mode each node (and the gateway) runs: 1 for its mode', labelNames: ['node', 'mode'], registers });
  }

  /**
   * A cumulative report from `node`: the increments since its previous one go to the counters.
   * A service port it no longer reports (same `since`) left its proxy (the Service went): its
   * series go too, so the series follow the live Services rather than everything ever seen.
   */
  observe(node: string, r: CounterReport): void {
    let prev = this.last.get(node);
    const restarted = prev !== undefined && prev.since !== r.since;
    if (!prev || restarted) {
      prev = { since: r.since, mode: r.mode, values: prev?.values ?? new Map() };
      // Counters restarted: what was counted before stays counted; only new increments are added.
      for (const c of prev.values.values()) prev.values.set(c.key, { ...c, connections: 0, bytesIn: 0, bytesOut: 0, failed: 0 });
      this.last.set(node, prev);
    }
    if (prev.mode !== r.mode) this.mode.remove({ node, mode: prev.mode });
    prev.mode = r.mode;
    this.mode.set({ node, mode: r.mode }, 1);
    for (const c of r.services) {
      const before = prev.values.get(c.key);
      const labels = labelsOf(c.key, node);
      for (const f of fields) {
        // A value below the last one means the backend's own count restarted (e.g. a service port recreated).
        const inc = before === undefined || c[f] < before[f] ? c[f] : c[f] - before[f];
        if (inc > 0) this.counters[f].inc(labels, inc);
      }
      prev.values.set(c.key, c);
    }
    // After a restart only ports with new traffic are reported: absence says nothing yet.
    if (restarted) return;
    const reported = new Set(r.services.map((c) => c.key));
    for (const key of [...prev.values.keys()]) {
      if (reported.has(key)) continue;
      prev.values.delete(key);
      for (const f of fields) this.counters[f].remove(labelsOf(key, node));
    }
  }
}
