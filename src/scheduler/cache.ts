// The scheduler's view of the cluster: one NodeInfo per node with the pods placed on it, kept
// up to date from the shared informers' events, plus "assumed" pods: pods this scheduler has
// just placed whose binding the informers have not shown yet. Counting them is what stops two
// pods scheduled back to back from over-committing a node (Kubernetes' assume/forget).
import type { Node, Pod } from '../api/schemas.js';
import { addPod, holdsResources, newNodeInfo, podInfo, podKey, removePod, updatedNodeInfo, updatedPodInfo } from './node-info.js';
import type { NodeInfo, PodInfo } from './types.js';

interface Placement {
  node: string;
  info: PodInfo;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly placements = new Map<string, Placement>();
  private list: NodeInfo[] | undefined;
  /** Node name → its place in `list`, so a heartbeat replaces its node in O(1). */
  private readonly position = new Map<string, number>();

  /** Every node, in a stable order (the decision walks it from a rotating start). */
  nodeInfos(): readonly NodeInfo[] {
    if (!this.list) {
      this.list = [...this.nodes.values()];
      this.position.clear();
      this.list.forEach((ni, i) => this.position.set(ni.name, i));
    }
    return this.list;
  }

  node(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  setNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const old = this.nodes.get(name);
    const ni = old ? updatedNodeInfo(old, node) : newNodeInfo(node, [...this.placements.values()].filter((p) => p.node === name).map((p) => p.info));
    this.nodes.set(name, ni);
    const at = this.position.get(name);
    if (old && this.list && at !== undefined) this.list[at] = ni;
    else this.list = undefined;
  }

  removeNode(name: string): void {
    if (this.nodes.delete(name)) this.list = undefined;
  }

  /** A pod as the informer shows it. */
  setPod(pod: Pod): void {
    const key = podKey(pod);
    const cur = this.placements.get(key);
    if (!holdsResources(pod)) {
      // Our own status write to a pod being bound arrives without the node: keep the assumption.
      if (cur?.assumed && (pod.spec.nodeName ?? '') === '' && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') return;
      this.removePod(key);
      return;
    }
    this.place(key, pod.spec.nodeName!, updatedPodInfo(pod, cur?.info), false);
  }

  removePod(key: string): void {
    const cur = this.placements.get(key);
    if (!cur) return;
    this.placements.delete(key);
    const ni = this.nodes.get(cur.node);
    if (ni) removePod(ni, key);
  }

  /** Counts the pod on the node before its binding is seen. */
  assume(pod: Pod, node: string): void {
    const bound: Pod = { ...pod, spec: { ...pod.spec, nodeName: node } };
    this.place(podKey(pod), node, updatedPodInfo(bound, podInfo(pod)), true);
  }

  /** The binding failed: the pod no longer holds room on the node. */
  forget(key: string): void {
    if (this.placements.get(key)?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.placements.get(key)?.assumed ?? false;
  }

  private place(key: string, node: string, info: PodInfo, assumed: boolean): void {
    const cur = this.placements.get(key);
    if (cur && cur.node !== node) this.removePod(key);
    this.placements.set(key, { node, info, assumed });
    const ni = this.nodes.get(node);
    if (ni) addPod(ni, info);
  }
}
