// Which endpoint a new connection (or UDP flow) tries first, and in which order it fails over:
// round-robin over the ready endpoints, unless ClientIP affinity pins the client to one.
import type { ProxyEndpoint } from '../types.js';
import { AffinityTable } from './affinity.js';

function endpointId(ep: ProxyEndpoint): string {
  return `${ep.ip}:${ep.port}`;
}

export class Balancer {
  private endpoints: ProxyEndpoint[] = [];
  private next = 0;
  private affinity: AffinityTable | undefined;

  constructor(private readonly now?: () => number) {}

  /** New endpoints or affinity from a sync: live connections and the round-robin position stay. */
  update(endpoints: ProxyEndpoint[], affinitySeconds: number | undefined): void {
    this.endpoints = endpoints;
    if (affinitySeconds === undefined) this.affinity = undefined;
    else if (this.affinity) this.affinity.setTimeout(affinitySeconds * 1000);
    else this.affinity = new AffinityTable(affinitySeconds * 1000, this.now);
  }

  get size(): number {
    return this.endpoints.length;
  }

  /**
   * Every endpoint, in the order a connection from `client` should try them: its sticky
   * endpoint first when it has one that is still ready, else the next in round-robin order.
   */
  order(client: string): ProxyEndpoint[] {
    const eps = this.endpoints;
    const n = eps.length;
    if (n === 0) return [];
    const sticky = this.affinity?.get(client);
    let start = sticky === undefined ? -1 : eps.findIndex((e) => endpointId(e) === sticky);
    if (start < 0) {
      start = this.next % n;
      this.next = (start + 1) % n;
    }
    const out = new Array<ProxyEndpoint>(n);
    for (let i = 0; i < n; i++) out[i] = eps[(start + i) % n]!;
    return out;
  }

  /** The connection from `client` reached `ep`: with affinity, the client now sticks to it. */
  connected(client: string, ep: ProxyEndpoint): void {
    this.affinity?.set(client, endpointId(ep));
  }

  /** A connection ended: activity that keeps the client's affinity alive. */
  ended(client: string, ep: ProxyEndpoint): void {
    this.affinity?.touch(client, endpointId(ep));
  }

  /** `ep` refused or timed out for `client`: drop the client's affinity to it. */
  failed(client: string, ep: ProxyEndpoint): void {
    this.affinity?.forget(client, endpointId(ep));
  }
}
