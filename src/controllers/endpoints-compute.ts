// What a Service's Endpoints should hold, without I/O. Bramble has no overlay network: a pod is
// reached at its node's address (status.hostIP) on the host port its container port is
// published at (status.portMappings), so every address here is hostIP and every port a host port.
import type { KObject } from '../api/types.js';
import { sameJson } from './compare.js';

/** Marks Endpoints written by this controller and says how to read them (see docs/controllers.md). */
export const addressTypeAnnotation = 'bramble.dev/endpoint-address-type';
export const addressTypeHostPort = 'hostIP:hostPort';

interface ServicePort { name?: string; protocol?: string; port: number; targetPort?: number | string }
interface PortMapping { containerName: string; name?: string; containerPort: number; protocol?: string; hostIP?: string; hostPort: number }
interface PodShape {
  spec?: { nodeName?: string; containers?: { name: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
  status?: { phase?: string; hostIP?: string; conditions?: { type: string; status: string }[]; portMappings?: PortMapping[] };
}

/** A node by name (the informer's cache): a lookup, so callers need not build a Map per call. */
export type NodeLookup = (name: string) => KObject | undefined;

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; name: string; namespace: string; uid: string };
}
export interface EndpointPort { name?: string; port: number; protocol: string }
export interface EndpointSubset { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports: EndpointPort[] }

export function serviceSelector(svc: KObject): Record<string, string> | undefined {
  const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
  // `selector: {}` selects nothing here, as kubectl and most users read it.
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

export function selects(selector: Record<string, string>, pod: KObject): boolean {
  return selectorMatcher(selector)(pod);
}

/** selects() with the selector read once, for matching it against many pods. */
function selectorMatcher(selector: Record<string, string>): (pod: KObject) => boolean {
  const want = Object.entries(selector);
  return (pod) => {
    const labels = pod.metadata.labels ?? {};
    for (const [k, v] of want) if (labels[k] !== v) return false;
    return true;
  };
}

function conditionTrue(obj: { status?: unknown }, type: string): boolean {
  const conds = (obj.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === type && c.status === 'True');
}

/** The host port a Service port reaches on this pod, if the pod publishes it. */
export function hostPortFor(pod: KObject, sp: ServicePort): number | undefined {
  const p = pod as PodShape;
  const protocol = sp.protocol ?? 'TCP';
  const target = sp.targetPort ?? sp.port;
  const mappings = (p.status?.portMappings ?? []).filter((m) => (m.protocol ?? 'TCP') === protocol);
  if (typeof target === 'number') return mappings.find((m) => m.containerPort === target)?.hostPort;
  // A named targetPort names a container port: find it in the spec, then where it is published.
  for (const c of p.spec?.containers ?? []) {
    const cp = (c.ports ?? []).find((x) => x.name === target && (x.protocol ?? 'TCP') === protocol);
    if (!cp) continue;
    const m = mappings.find((x) => x.containerName === c.name && x.containerPort === cp.containerPort);
    if (m) return m.hostPort;
  }
  return mappings.find((m) => m.name === target)?.hostPort;
}

/** Running or about to: not deleting, not finished, placed on a node that reported its address. */
function isServable(pod: KObject): boolean {
  const p = pod as PodShape;
  const phase = p.status?.phase;
  return pod.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed' && (p.status?.hostIP ?? '') !== '';
}

/** Ready: the pod says so, and its node is Ready (a node that stopped reporting cannot vouch for it). */
export function podReady(pod: KObject, nodeOf: NodeLookup): boolean {
  if (!conditionTrue(pod, 'Ready')) return false;
  const nodeName = (pod as PodShape).spec?.nodeName;
  const node = nodeName ? nodeOf(nodeName) : undefined;
  return node !== undefined && conditionTrue(node, 'Ready');
}

function addressOf(pod: KObject): EndpointAddress {
  const p = pod as PodShape;
  const m = pod.metadata;
  const a: EndpointAddress = { ip: p.status!.hostIP!, targetRef: { kind: 'Pod', name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '' } };
  if (p.spec?.nodeName) a.nodeName = p.spec.nodeName;
  return a;
}

function byAddress(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip) || a.targetRef.name.localeCompare(b.targetRef.name);
}

/**
 * The subsets: pods grouped by the host ports they publish for the Service's ports (pods on
 * one node never share a host port, so pods with different ports land in different subsets,
 * as Kubernetes repacks endpoints). Sorted, so equal inputs give equal output.
 */
export function computeSubsets(service: KObject, pods: Iterable<KObject>, nodeOf: NodeLookup): EndpointSubset[] {
  const spec = service.spec as { ports?: ServicePort[]; publishNotReadyAddresses?: boolean } | undefined;
  const groups = new Map<string, EndpointSubset>();
  for (const pod of pods) {
    if (!isServable(pod)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of spec?.ports ?? []) {
      const hostPort = hostPortFor(pod, sp);
      if (hostPort !== undefined) ports.push({ ...(sp.name ? { name: sp.name } : {}), port: hostPort, protocol: sp.protocol ?? 'TCP' });
    }
    if (ports.length === 0) continue;
    const key = JSON.stringify(ports);
    let subset = groups.get(key);
    if (!subset) groups.set(key, subset = { ports });
    const ready = spec?.publishNotReadyAddresses === true || podReady(pod, nodeOf);
    const list = ready ? (subset.addresses ??= []) : (subset.notReadyAddresses ??= []);
    list.push(addressOf(pod));
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => {
    s.addresses?.sort(byAddress);
    s.notReadyAddresses?.sort(byAddress);
    return s;
  });
}

export type EndpointsAction =
  | { type: 'none' }
  | { type: 'create'; endpoints: KObject }
  | { type: 'update'; endpoints: KObject };

/** The Service's labels are copied (as Kubernetes does), so `-l` finds both; none, no field. */
function withLabels(labels: Record<string, string>): { labels?: Record<string, string> } {
  return Object.keys(labels).length > 0 ? { labels } : {};
}

/** The pods a Service selects: `pods` may hold other namespaces' too (the caller's choice). */
function selected(pods: Iterable<KObject>, namespace: string | undefined, selector: Record<string, string>): KObject[] {
  const matches = selectorMatcher(selector);
  const out: KObject[] = [];
  for (const p of pods) if (p.metadata.namespace === namespace && matches(p)) out.push(p);
  return out;
}

/**
 * What to write for a Service, given the current Endpoints (from the cache). Services without
 * a selector have Endpoints managed by their user: left alone. Nothing is written when the
 * content is unchanged, so pod status churn does not become Endpoints churn. `pods` is read
 * once, synchronously: a live view of the cache (Informer.values) needs no copy.
 */
export function decideEndpoints(service: KObject, pods: Iterable<KObject>, nodeOf: NodeLookup, existing: KObject | undefined): EndpointsAction {
  const selector = serviceSelector(service);
  if (!selector) return { type: 'none' };
  const ns = service.metadata.namespace;
  const subsets = computeSubsets(service, selected(pods, ns, selector), nodeOf);
  const labels = service.metadata.labels ?? {};
  if (existing) {
    const unchanged = sameJson(existing.subsets ?? [], subsets) && sameJson(existing.metadata.labels ?? {}, labels) &&
      existing.metadata.annotations?.[addressTypeAnnotation] === addressTypeHostPort;
    if (unchanged) return { type: 'none' };
    const { labels: _l, ...meta } = existing.metadata;
    const annotations = { ...existing.metadata.annotations, [addressTypeAnnotation]: addressTypeHostPort };
    return { type: 'update', endpoints: { ...existing, metadata: { ...meta, ...withLabels(labels), annotations }, subsets } };
  }
  return {
    type: 'create',
    endpoints: {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name: service.metadata.name ?? '', namespace: ns ?? '', ...withLabels(labels), annotations: { [addressTypeAnnotation]: addressTypeHostPort } },
      subsets,
    },
  };
}
