// Services + Endpoints (API objects) → ProxyState (what a backend serves). Pure: the agent
// runs it over what the master pushed, the gateway's proxy over its informers' caches.
import type { KObject } from '../api/types.js';
import type { ProxyEndpoint, ProxyProtocol, ProxyState, ServicePortEntry } from './types.js';

interface SvcPort { name?: string; protocol?: string; port: number; nodePort?: number }
interface SvcSpec {
  type?: string;
  clusterIP?: string;
  ports?: SvcPort[];
  externalIPs?: string[];
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
}
interface SvcStatus {
  loadBalancer?: { ingress?: { ip?: string }[] };
  /** Bramble extension: the userspace proxy port of each service port (allocated by the API server). */
  proxyPorts?: { port: number; protocol?: string; proxyPort: number }[];
}
interface EpAddress { ip: string; nodeName?: string }
interface EpSubset { addresses?: EpAddress[]; ports?: { name?: string; port: number; protocol?: string }[] }

/** Kubernetes' default ClientIP affinity timeout (3 hours). */
const defaultAffinitySeconds = 10_800;

/** A service port's key (ServicePortEntry.key): `namespace/name:portName`. */
export const portKey = (namespace: string, service: string, portName: string): string => `${namespace}/${service}:${portName}`;

/** A key's service (`namespace/name`) and port name, as metrics label them; no `:` → all service. */
export function splitPortKey(key: string): { service: string; port: string } {
  const i = key.indexOf(':');
  return i < 0 ? { service: key, port: '' } : { service: key.slice(0, i), port: key.slice(i + 1) };
}

/** A ProxyState of these entries, sorted by key (what every backend is given). */
export function stateOf(ports: ServicePortEntry[]): ProxyState {
  ports.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ports };
}

export function proxyStateFrom(services: Iterable<KObject>, endpoints: Iterable<KObject>): ProxyState {
  const eps = new Map<string, EpSubset[]>();
  for (const e of endpoints) eps.set(`${e.metadata.namespace ?? ''}/${e.metadata.name ?? ''}`, (e.subsets as EpSubset[] | undefined) ?? []);
  const ports: ServicePortEntry[] = [];
  for (const svc of services) ports.push(...servicePorts(svc, eps.get(`${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`) ?? []));
  return stateOf(ports);
}

function servicePorts(svc: KObject, subsets: EpSubset[]): ServicePortEntry[] {
  const spec = (svc.spec ?? {}) as SvcSpec;
  const status = (svc.status ?? {}) as SvcStatus;
  const namespace = svc.metadata.namespace ?? 'default';
  const service = svc.metadata.name ?? '';
  const clusterIP = spec.clusterIP && spec.clusterIP !== 'None' ? spec.clusterIP : undefined;
  const external = [...(spec.externalIPs ?? []), ...(status.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []))];
  const affinity = spec.sessionAffinity === 'ClientIP' ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultAffinitySeconds : undefined;
  const specPorts = spec.ports ?? [];
  return specPorts.map((p) => {
    const protocol = (p.protocol ?? 'TCP') as ProxyProtocol;
    const portName = p.name ?? '';
    const proxyPort = status.proxyPorts?.find((x) => x.port === p.port && (x.protocol ?? 'TCP') === protocol)?.proxyPort;
    const entry: ServicePortEntry = {
      key: portKey(namespace, service, portName),
      namespace, service, portName, protocol, port: p.port,
      externalIPs: [...new Set(external)],
      endpoints: endpointsFor(subsets, portName, protocol, specPorts.length === 1),
    };
    if (clusterIP !== undefined) entry.clusterIP = clusterIP;
    if (p.nodePort !== undefined && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) entry.nodePort = p.nodePort;
    if (proxyPort !== undefined) entry.proxyPort = proxyPort;
    if (affinity !== undefined) entry.affinitySeconds = affinity;
    return entry;
  });
}

/** Ready addresses × the subset port named like the service port (or the only port of a one-port Service). */
function endpointsFor(subsets: EpSubset[], portName: string, protocol: ProxyProtocol, onlyPort: boolean): ProxyEndpoint[] {
  const out: ProxyEndpoint[] = [];
  const seen = new Set<string>();
  for (const s of subsets) {
    const ports = (s.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === protocol);
    const port = ports.find((p) => (p.name ?? '') === portName) ?? (onlyPort && ports.length === 1 ? ports[0] : undefined);
    if (!port) continue;
    for (const a of s.addresses ?? []) {
      const id = `${a.ip}:${port.port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ ip: a.ip, port: port.port, ...(a.nodeName !== undefined ? { nodeName: a.nodeName } : {}) });
    }
  }
  return out;
}
