// PodInfo and NodeInfo: a pod's cost computed once, and a node with the sum of what is placed
// on it, so a filter is O(1) in the number of pods already on the node.
import type { Node, Pod } from '../api/schemas.js';
import { addResources, emptyResources, nonZeroRequests, podRequests, resourcesFromList } from './resources.js';
import type { HostPort, NodeInfo, PodInfo } from './types.js';

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
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

export function podInfo(pod: Pod): PodInfo {
  let info = podInfos.get(pod);
  if (!info) {
    const controller = pod.metadata.ownerReferences?.find((o) => o.controller === true);
    info = {
      pod, key: podKey(pod), priority: pod.spec.priority ?? 0,
      requests: podRequests(pod), nonZero: nonZeroRequests(pod), hostPorts: hostPorts(pod),
      ownerUid: controller?.uid,
    };
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

export function newNodeInfo(node: Node, pods: Iterable<PodInfo> = []): NodeInfo {
  const ni: MutableNodeInfo = {
    node, name: node.metadata.name ?? '', allocatable: resourcesFromList(node.status?.allocatable),
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
