// Small builders for Nodes and Pods as the scheduler sees them.
import type { Node, Pod, Taint, Toleration } from '../../src/api/schemas.js';
import { defaultSchedulerConfig } from '../../src/scheduler/config.js';
import { holdsResources, newNodeInfo, podInfo } from '../../src/scheduler/node-info.js';
import type { NodeInfo, PodInfo, SchedulingContext } from '../../src/scheduler/types.js';

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: number;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  ready?: 'True' | 'False' | 'Unknown' | 'missing';
  unschedulable?: boolean;
  usage?: NonNullable<Node['status']>['usage'];
}

export function node(name: string, o: NodeOpts = {}): Node {
  const conditions = o.ready === 'missing' ? [] : [{ type: 'Ready', status: o.ready ?? 'True' }];
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/arch': 'arm64', ...o.labels } },
    spec: { ...(o.unschedulable !== undefined ? { unschedulable: o.unschedulable } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '4Gi', pods: String(o.pods ?? 110), ...o.extra },
      conditions: conditions as NonNullable<Node['status']>['conditions'],
      ...(o.usage ? { usage: o.usage } : {}),
    },
  };
}

export interface PodOpts {
  ns?: string;
  cpu?: string;
  memory?: string;
  extra?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Pod['spec']['affinity'];
  hostPorts?: { port: number; protocol?: 'TCP' | 'UDP'; hostIP?: string }[];
  owner?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  initCpu?: string;
  created?: string;
  deleting?: boolean;
  uid?: string;
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = { ...o.extra };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: o.ns ?? 'default', uid: o.uid ?? `uid-${name}`,
      creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers: [{
        name: 'c', image: 'busybox',
        ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
        ...(o.hostPorts ? { ports: o.hostPorts.map((p) => ({ containerPort: p.port, hostPort: p.port, protocol: p.protocol ?? 'TCP', ...(p.hostIP ? { hostIP: p.hostIP } : {}) })) } : {}),
      }],
      ...(o.initCpu ? { initContainers: [{ name: 'init', image: 'busybox', resources: { requests: { cpu: o.initCpu } } }] } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
    },
    status: { phase: o.phase ?? (o.nodeName ? 'Running' : 'Pending') },
  };
}

export function info(p: Pod): PodInfo {
  return podInfo(p);
}

export function nodeInfo(n: Node, pods: Pod[] = []): NodeInfo {
  return newNodeInfo(n, pods.filter(holdsResources).map(podInfo));
}

export const now = Date.parse('2026-01-01T00:10:00Z');

export function ctx(over: Partial<SchedulingContext['config']> = {}): SchedulingContext {
  return { now, config: { ...defaultSchedulerConfig, ...over, weights: { ...defaultSchedulerConfig.weights, ...over.weights } } };
}
