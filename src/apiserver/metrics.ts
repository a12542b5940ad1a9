// Prometheus metrics of one API server (its own registry: several servers may share a process in tests).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'verb' | 'resource' | 'code'>;
  readonly latency: Histogram<'verb' | 'resource'>;
  readonly watchers: Gauge;
  readonly watchesDropped: Counter<'reason'>;

  constructor(store: Store, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'bramble_apiserver_requests_total', help: 'API requests by verb, resource and HTTP code', labelNames: ['verb', 'resource', 'code'], registers });
    this.latency = new Histogram({
      name: 'bramble_apiserver_request_duration_seconds',
      help: 'API request latency by verb and resource (watches excluded)',
      labelNames: ['verb', 'resource'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.watchers = new Gauge({ name: 'bramble_apiserver_watchers', help: 'Open watch streams', registers });
    this.watchesDropped = new Counter({ name: 'bramble_apiserver_watch_closed_total', help: 'Watch streams closed, by reason', labelNames: ['reason'], registers });
    new Gauge({ name: 'bramble_store_revision', help: 'Latest store revision', registers, collect() { this.set(store.revision()); } });
    new Gauge({ name: 'bramble_store_compacted_revision', help: 'Oldest revision a watch may resume from', registers, collect() { this.set(store.compactedRevision()); } });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'bramble_' });
  }
}
