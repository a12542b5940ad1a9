// Services to nodes: every node gets every Service with its ready endpoints (any pod may call
// any service), pruned to what its proxy and the pods' environment variables need — the full
// set on every (re)connect, then one upsert or delete per changed Service. Nodes never reach
// the API. The per-port endpoint matching is proxyStateFrom's, so node and gateway agree.
import type { KObject } from '../api/types.js';
import { objectKey, type Informer } from '../client/informer.js';
import type { ServiceBundle, ServicesMessage } from '../protocol/messages.js';
import { proxyStateFrom } from '../proxy/state.js';

interface SvcSpecLike { type?: string; clusterIP?: string; ports?: { name?: string; protocol?: string; port: number }[] }

/** The bundle of one Service and its Endpoints (none yet: every port without endpoints). */
export function serviceBundle(svc: KObject, endpoints: KObject | undefined): ServiceBundle {
  const spec = (svc.spec ?? {}) as SvcSpecLike;
  const entries = proxyStateFrom([svc], endpoints ? [endpoints] : []).ports;
  const first = entries[0];
  const ports = (spec.ports ?? []).map((p) => {
    const name = p.name ?? '';
    const protocol = (p.protocol ?? 'TCP') as ServiceBundle['ports'][number]['protocol'];
    const e = entries.find((x) => x.portName === name && x.protocol === protocol && x.port === p.port);
    return {
      ...(name ? { name } : {}), protocol, port: p.port,
      ...(e?.nodePort !== undefined ? { nodePort: e.nodePort } : {}),
      ...(e?.proxyPort !== undefined ? { proxyPort: e.proxyPort } : {}),
      endpoints: (e?.endpoints ?? []).map((ep) => ({ ip: ep.ip, port: ep.port, ...(ep.nodeName ? { nodeName: ep.nodeName } : {}) })),
    };
  });
  const revision = Math.max(Number(svc.metadata.resourceVersion ?? 0), Number(endpoints?.metadata.resourceVersion ?? 0)) || 0;
  const b: ServiceBundle = { namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name ?? '', revision, ports };
  if (spec.type) b.type = spec.type;
  if (first?.clusterIP) b.clusterIP = first.clusterIP;
  else if (spec.clusterIP && spec.clusterIP !== 'None') b.clusterIP = spec.clusterIP;
  if (first && first.externalIPs.length > 0) b.externalIPs = first.externalIPs;
  if (first?.affinitySeconds !== undefined) b.affinitySeconds = first.affinitySeconds;
  return b;
}

/** What a node acts on: the bundle without its revision (an Endpoints rewrite that changes nothing is not sent). */
function fingerprint(b: ServiceBundle): string {
  const { revision: _r, ...rest } = b;
  return JSON.stringify(rest);
}

export interface ServiceFeedOptions {
  services: Informer;
  endpoints: Informer;
  send: (node: string, msg: ServicesMessage) => void;
}

/**
 * Tracks which nodes have had a `services.sync` and sends them deltas. A node stays a
 * recipient until its Last Will says it disconnected (it syncs again when it says hello);
 * publishing to a node that is gone costs the broker nothing (clean sessions).
 */
export class ServiceFeed {
  private readonly nodes = new Set<string>();
  private readonly sent = new Map<string, string>();

  constructor(private readonly o: ServiceFeedOptions) {}

  private revision(): number {
    return Math.max(this.o.services.revision, this.o.endpoints.revision);
  }

  /** Every Service with its Endpoints, in key order. */
  all(): ServiceBundle[] {
    const out: ServiceBundle[] = [];
    for (const [key, svc] of [...this.o.services.items].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const b = serviceBundle(svc, this.o.endpoints.items.get(key));
      this.sent.set(key, fingerprint(b));
      out.push(b);
    }
    return out;
  }

  sync(node: string): void {
    this.nodes.add(node);
    this.o.send(node, { v: 1, type: 'services.sync', revision: this.revision(), services: this.all() });
  }

  /** The node disconnected: no deltas until it says hello again. */
  forget(node: string): void {
    this.nodes.delete(node);
  }

  /** A Service or its Endpoints changed (obj is either; they share namespace/name). */
  changed(obj: KObject): void {
    const key = objectKey(obj);
    const svc = this.o.services.items.get(key);
    if (!svc) {
      if (!this.sent.delete(key)) return;
      this.broadcast({ v: 1, type: 'services.delete', revision: this.revision(), namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '' });
      return;
    }
    const b = serviceBundle(svc, this.o.endpoints.items.get(key));
    const f = fingerprint(b);
    if (this.sent.get(key) === f) return;
    this.sent.set(key, f);
    this.broadcast({ v: 1, type: 'services.upsert', revision: b.revision, service: b });
  }

  private broadcast(msg: ServicesMessage): void {
    for (const node of this.nodes) this.o.send(node, msg);
  }
}
