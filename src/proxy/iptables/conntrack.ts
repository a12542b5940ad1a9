// UDP has no connection end: conntrack keeps a flow's NAT decision while packets keep coming,
// so a client that keeps sending to a removed endpoint would never be moved. After a sync we
// delete those flows (as kube-proxy does), with the conntrack tool when it is installed
// (Debian package `conntrack`; without it, stale flows expire after the UDP timeout, 30–120 s).
import type { ProxyState, ServicePortEntry } from '../types.js';

/** Front-ends of a UDP service port: [orig-dst address or undefined (any local, NodePort), port]. */
function fronts(e: ServicePortEntry): [string | undefined, number][] {
  const out: [string | undefined, number][] = [];
  if (e.clusterIP !== undefined) out.push([e.clusterIP, e.port]);
  for (const ip of e.externalIPs) out.push([ip, e.port]);
  if (e.nodePort !== undefined) out.push([undefined, e.nodePort]);
  return out;
}

const origDst = (addr: string | undefined, port: number): string[] => [...(addr !== undefined ? ['--orig-dst', addr] : []), '--orig-port-dst', String(port)];

/**
 * `conntrack -D` argument lists for the UDP flows `next` no longer wants: flows DNATed to an
 * endpoint that left (matched by original destination and reply source, so only our NAT's flows
 * go), and flows to a front-end that had no endpoints and now has (they were never DNATed).
 */
export function staleUdpFlows(prev: ProxyState | undefined, next: ProxyState): string[][] {
  if (!prev) return [];
  const nextByKey = new Map(next.ports.filter((e) => e.protocol === 'UDP').map((e) => [e.key, e]));
  const out: string[][] = [];
  for (const old of prev.ports) {
    if (old.protocol !== 'UDP') continue;
    const now = nextByKey.get(old.key);
    const kept = new Set((now?.endpoints ?? []).map((ep) => `${ep.ip}:${ep.port}`));
    for (const ep of old.endpoints) {
      if (kept.has(`${ep.ip}:${ep.port}`)) continue;
      for (const [addr, port] of fronts(old)) out.push(['-D', '-p', 'udp', ...origDst(addr, port), '--reply-src', ep.ip, '--reply-port-src', String(ep.port)]);
    }
  }
  const prevKeys = new Map(prev.ports.map((e) => [e.key, e]));
  for (const e of nextByKey.values()) {
    const before = prevKeys.get(e.key);
    if (e.endpoints.length === 0 || (before !== undefined && before.endpoints.length > 0)) continue;
    for (const [addr, port] of fronts(e)) if (addr !== undefined) out.push(['-D', '-p', 'udp', ...origDst(addr, port)]);
  }
  return out;
}
