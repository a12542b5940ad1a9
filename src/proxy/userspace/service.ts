// One served service port at run time: its current entry (replaced in place on every sync, so
// listeners and live connections keep pointing at the same object), its balancer and counters.
import type { ServicePortCounters, ServicePortEntry } from '../types.js';
import { Balancer } from './balancer.js';

export class ServicePort {
  entry: ServicePortEntry;
  readonly balancer: Balancer;
  readonly counters: ServicePortCounters;

  constructor(entry: ServicePortEntry, now?: () => number) {
    this.entry = entry;
    this.balancer = new Balancer(now);
    this.balancer.update(entry.endpoints, entry.affinitySeconds);
    this.counters = { key: entry.key, connections: 0, bytesIn: 0, bytesOut: 0, failed: 0 };
  }

  update(entry: ServicePortEntry): void {
    this.entry = entry;
    this.balancer.update(entry.endpoints, entry.affinitySeconds);
  }
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) → `1.2.3.4`, so affinity keys agree. */
export function clientAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
