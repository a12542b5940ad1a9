// Which (protocol, address, port) listeners a ProxyState needs in userspace mode. Pure, so the
// diff in backend.ts is simple and the rules are testable without sockets.
import os from 'node:os';
import type { ProxyProtocol, ProxyState, ServicePortEntry } from '../types.js';

export interface ListenSpec {
  /** `TCP 0.0.0.0:30080`: the unit listeners are diffed by. */
  id: string;
  key: string;
  protocol: ProxyProtocol;
  address: string;
  port: number;
}

export interface PlanOptions {
  nodeAddresses: string[];
  serviceAddress: string | undefined;
  isLocal: (ip: string) => boolean;
}

export interface Plan {
  specs: Map<string, ListenSpec>;
  /** externalIPs not on this node (served by the node that holds them). */
  notLocal: { key: string; ip: string }[];
  /** A second service port asking for a listener another one already has. */
  conflicts: { key: string; id: string; owner: string }[];
}

function listenId(protocol: ProxyProtocol, address: string, port: number): string {
  return `${protocol} ${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export function planListeners(state: ProxyState, opts: PlanOptions): Plan {
  const plan: Plan = { specs: new Map(), notLocal: [], conflicts: [] };
  for (const e of state.ports) {
    for (const [address, port] of wanted(e, opts, plan)) {
      const id = listenId(e.protocol, address, port);
      const owner = plan.specs.get(id);
      if (owner && owner.key !== e.key) plan.conflicts.push({ key: e.key, id, owner: owner.key });
      else if (!owner) plan.specs.set(id, { id, key: e.key, protocol: e.protocol, address, port });
    }
  }
  return plan;
}

function wanted(e: ServicePortEntry, opts: PlanOptions, plan: Plan): [string, number][] {
  const out: [string, number][] = [];
  if (e.nodePort !== undefined) for (const a of opts.nodeAddresses) out.push([a, e.nodePort]);
  if (e.proxyPort !== undefined && opts.serviceAddress !== undefined) out.push([opts.serviceAddress, e.proxyPort]);
  for (const ip of e.externalIPs) {
    if (opts.isLocal(ip)) out.push([ip, e.port]);
    else plan.notLocal.push({ key: e.key, ip });
  }
  return out;
}

/**
 * Whether `ip` is an address of this machine, so a socket can be bound to it. All of 127/8 is
 * local on Linux (the whole block is routed to `lo`) though only 127.0.0.1 shows on it.
 */
export function localAddressChecker(): (ip: string) => boolean {
  const local = new Set<string>(['0.0.0.0', '::']);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) local.add(a.address);
  return (ip) => local.has(ip) || (process.platform === 'linux' && /^127\./.test(ip));
}
