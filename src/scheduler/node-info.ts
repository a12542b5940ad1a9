// PodInfo and NodeInfo: a pod's cost computed once, and a node with the sum of what is placed
// on it, so a filter is O(1) in the number of pods already on the node.
import type { Node, Pod } from '../api/schemas.js';
import type { KObject } from '../api/types.js';
import { objectKey } from '../client/informer.js';
import { usageReading } from './plugins/live-usage.js';
import { addResources, emptyResources, nonZeroRequests, podRequests, resourcesFromList } from './resources.js';
import type { HostPort, NodeInfo, PodInfo } from './types.js';

/** The informers' key (namespace/name), so cache, queue and informer events agree. */
export function podKey(pod: Pod): string {
  return objectKey(pod as unknown as KObject);
}

function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue;
      out.push({ hostIP: p.hostIP ?? '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
    }
  }
  return out;
}

// Cached objects are never mutated (informer rule), so the object itself is a safe cache key.
const podInfos = new WeakMap<Pod, PodInfo>();

/**
 * Whether `prev` was computed from the same pod spec: same uid and generation. A pod's
 * containers, requests, ports and priority cannot change after creation (validate-update.ts),
 * so a status update, a relabel or the binding (which leaves the generation alone) keeps its cost.
 */
function sameSpec(prev: PodInfo | undefined, pod: Pod): prev is PodInfo {
  const a = prev?.pod.metadata;
  const b = pod.metadata;
  return a !== undefined && a.uid !== undefined && a.uid === b.uid && a.generation !== undefined && a.generation === b.generation;
}

export function podInfo(pod: Pod): PodInfo {
  return updatedPodInfo(pod, undefined);
}

/** A newer version of a pod: its cost is reused from `prev` (an older version) when the spec is the same. */
export function updatedPodInfo(pod: Pod, prev: PodInfo | undefined): PodInfo {
  let info = podInfos.get(pod);
  if (!info) {
    const controller = pod.metadata.ownerReferences?.find((o) => o.controller === true);
    // Parsing quantities is most of the cost; every status write of every bound pod comes here.
    const cost = sameSpec(prev, pod)
      ? { priority: prev.priority, requests: prev.requests, nonZero: prev.nonZero, hostPorts: prev.hostPorts }
      : { priority: pod.spec.priority ?? 0, requests: podRequests(pod), nonZero: nonZeroRequests(pod), hostPorts: hostPorts(pod) };
    info = { pod, key: podKey(pod), ...cost, ownerUid: controller?.uid };
    podInfos.set(pod, info);
  }
  return info;
}

/** A pod that holds its node's resources: bound and not finished (terminating pods still do). */
export function holdsResources(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return pod.spec.nodeName !== undefined && pod.spec.nodeName !== '' && phase !== 'Succeeded' && phase !== 'Failed';
}

interface MutableNodeInfo extends NodeInfo {
  pods: Map<string, PodInfo>;
  owners: Map<string, number>;
}

function sameQuantities(a: Record<string, string | number> | undefined, b: Record<string, string | number> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * A new version of a node already known (a heartbeat, a relabel): takes over the old info's
 * pods and sums, which the caller drops, instead of adding every pod again, and parses
 * allocatable only when it changed. The cache gets thousands of these per minute.
 */
export function updatedNodeInfo(old: NodeInfo, node: Node): NodeInfo {
  const alloc = node.status?.allocatable;
  const allocatable = sameQuantities(old.node.status?.allocatable, alloc) ? old.allocatable : resourcesFromList(alloc);
  const usage = old.node.status?.usage === node.status?.usage ? old.usage : usageReading(node);
  return { ...old, node, name: node.metadata.name ?? '', ready: isNodeReady(node), usage, allocatable };
}

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function newNodeInfo(node: Node, pods: Iterable<PodInfo> = []): NodeInfo {
  const ni: MutableNodeInfo = {
    node, name: node.metadata.name ?? '', ready: isNodeReady(node), usage: usageReading(node), allocatable: resourcesFromList(node.status?.allocatable),
    pods: new Map(), requested: emptyResources(), nonZeroRequested: { cpu: 0, memory: 0 }, owners: new Map(),
  };
  for (const p of pods) addPod(ni, p);
  return ni;
}

/** Adds (or replaces) a pod; the only mutation of a NodeInfo, used by its owner (cache or simulation). */
export function addPod(ni: NodeInfo, p: PodInfo): void {
  removePod(ni, p.key);
  const m = ni as MutableNodeInfo;
  m.pods.set(p.key, p);
  m.requested = addResources(m.requested, p.requests);
  m.nonZeroRequested = { cpu: m.nonZeroRequested.cpu + p.nonZero.cpu, memory: m.nonZeroRequested.memory + p.nonZero.memory };
  if (p.ownerUid !== undefined) m.owners.set(p.ownerUid, (m.owners.get(p.ownerUid) ?? 0) + 1);
}

export function removePod(ni: NodeInfo, key: string): boolean {
  const m = ni as MutableNodeInfo;
  const p = m.pods.get(key);
  if (!p) return false;
  m.pods.delete(key);
  m.requested = addResources(m.requested, p.requests, -1);
  m.nonZeroRequested = { cpu: m.nonZeroRequested.cpu - p.nonZero.cpu, memory: m.nonZeroRequested.memory - p.nonZero.memory };
  if (p.ownerUid !== undefined) {
    const n = (m.owners.get(p.ownerUid) ?? 0) - 1;
    if (n > 0) m.owners.set(p.ownerUid, n);
    else m.owners.delete(p.ownerUid);
  }
  return true;
}

/** Same node and pods, separately mutable (preemption and nominated-pod simulations). */
export function cloneNodeInfo(ni: NodeInfo): NodeInfo {
  return newNodeInfo(ni.node, ni.pods.values());
}

/** NodeInfos from plain lists: the pure decision's input in tests and simulations. */
export function buildNodeInfos(nodes: readonly Node[], pods: readonly Pod[]): NodeInfo[] {
  const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', newNodeInfo(n)]));
  for (const pod of pods) {
    if (!holdsResources(pod)) continue;
    const ni = byName.get(pod.spec.nodeName!);
    if (ni) addPod(ni, podInfo(pod));
  }
  return [...byName.values()];
}
