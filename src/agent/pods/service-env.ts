// The Kubernetes service environment variables a container starts with: for every Service of
// the pod's namespace known on the node at that moment, `{NAME}_SERVICE_HOST`,
// `{NAME}_SERVICE_PORT`, `{NAME}_SERVICE_PORT_{PORTNAME}` and the Docker-link style
// `{NAME}_PORT`, `{NAME}_PORT_{port}_{PROTO}[_PROTO|_PORT|_ADDR]` (kubelet's envvars.FromServices).
// `enableServiceLinks: false` leaves out all but the default namespace's `kubernetes` Service,
// which kubelet always adds. Headless Services get none.
//
// Where they point depends on the node's proxy: in iptables mode at ClusterIP:port (DNATed by
// the rules); in userspace mode ClusterIPs are not intercepted, so at the address the node's
// proxy serves pods on and the port's proxyPort (ports without one are left out). The variable
// names keep the service port either way, so a pod's configuration does not depend on the mode.
import type { ServiceBundle } from '../../protocol/messages.js';

export type ServiceEnvTarget =
  | { mode: 'iptables' }
  | { mode: 'userspace'; address: string };

/** The API Service kubelet adds whatever enableServiceLinks says. */
const masterService = { namespace: 'default', name: 'kubernetes' };

export function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

interface Reachable { name: string; port: number; protocol: string; at: number }

/** Where each port is reached from a pod on this node (ports the node cannot serve left out). */
function reachable(s: ServiceBundle, target: ServiceEnvTarget): { host: string; ports: Reachable[] } | undefined {
  if (!s.clusterIP) return undefined;
  if (target.mode === 'iptables') return { host: s.clusterIP, ports: s.ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol, at: p.port })) };
  const ports = s.ports.flatMap((p) => (p.proxyPort !== undefined && p.protocol !== 'SCTP' ? [{ name: p.name ?? '', port: p.port, protocol: p.protocol, at: p.proxyPort }] : []));
  return ports.length > 0 ? { host: target.address, ports } : undefined;
}

function varsOf(s: ServiceBundle, target: ServiceEnvTarget, out: Record<string, string>): void {
  const r = reachable(s, target);
  if (!r) return;
  const prefix = envName(s.name);
  out[`${prefix}_SERVICE_HOST`] = r.host;
  out[`${prefix}_SERVICE_PORT`] = String(r.ports[0]!.at);
  for (const p of r.ports) if (p.name) out[`${prefix}_SERVICE_PORT_${envName(p.name)}`] = String(p.at);
  r.ports.forEach((p, i) => {
    const proto = p.protocol.toLowerCase();
    const url = `${proto}://${joinHostPort(r.host, p.at)}`;
    if (i === 0) out[`${prefix}_PORT`] = url;
    const pp = `${prefix}_PORT_${p.port}_${p.protocol.toUpperCase()}`;
    out[pp] = url;
    out[`${pp}_PROTO`] = proto;
    out[`${pp}_PORT`] = String(p.at);
    out[`${pp}_ADDR`] = r.host;
  });
}

/**
 * The service variables for a pod of `namespace`. `services` is every Service the node knows;
 * a Service of the pod's own namespace wins over the default namespace's `kubernetes`.
 */
export function serviceEnv(services: Iterable<ServiceBundle>, namespace: string, enableServiceLinks: boolean, target: ServiceEnvTarget): Record<string, string> {
  const chosen = new Map<string, ServiceBundle>();
  for (const s of services) {
    if (s.namespace === masterService.namespace && s.name === masterService.name) {
      if (!chosen.has(s.name)) chosen.set(s.name, s);
    } else if (s.namespace === namespace && enableServiceLinks) chosen.set(s.name, s);
  }
  const out: Record<string, string> = {};
  for (const name of [...chosen.keys()].sort()) varsOf(chosen.get(name)!, target, out);
  return out;
}
