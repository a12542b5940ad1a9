// Objects for the workload controllers' table tests: small builders, fixed clock.
import type { DaemonSet, Deployment, ReplicaSet } from '../../src/api/kinds/apps.js';
import type { Node } from '../../src/api/kinds/node.js';
import type { Pod, PodTemplateSpec } from '../../src/api/kinds/pod.js';

export const T0 = Date.parse('2024-05-01T12:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export function template(image = 'busybox:1.36', labels: Record<string, string> = { app: 'web' }): PodTemplateSpec {
  return { metadata: { labels }, spec: { containers: [{ name: 'main', image }] } };
}

export function replicaSet(name: string, replicas: number, extra: Partial<ReplicaSet['spec']> = {}, meta: Partial<ReplicaSet['metadata']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1, creationTimestamp: iso(T0), ...meta },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(), ...extra },
  };
}

export interface PodOpts {
  owner?: { kind: string; name: string; uid: string };
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  ready?: boolean;
  readySince?: number;
  node?: string;
  created?: number;
  labels?: Record<string, string>;
  deleting?: boolean;
  restarts?: number;
  affinityNode?: string;
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const ready = o.ready ?? o.phase === 'Running';
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: iso(o.created ?? T0),
      labels: o.labels ?? { app: 'web' },
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...o.owner, controller: true, blockOwnerDeletion: true }] } : {}),
      ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: {
      containers: [{ name: 'main', image: 'busybox:1.36' }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.affinityNode ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [o.affinityNode] }] }] } } } } : {}),
    },
    status: {
      phase: o.phase ?? 'Pending',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso(o.readySince ?? T0 - 60_000) }],
      containerStatuses: [{ name: 'main', ready, restartCount: o.restarts ?? 0, image: 'busybox:1.36' }],
    },
  };
}

export const ownedBy = (rs: { metadata: { name?: string; uid?: string } }, kind = 'ReplicaSet') => ({ kind, name: rs.metadata.name ?? '', uid: rs.metadata.uid ?? '' });

export function deployment(name: string, replicas: number, extra: Partial<Deployment['spec']> = {}, meta: Partial<Deployment['metadata']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1, creationTimestamp: iso(T0), ...meta },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } }, template: template(),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10, progressDeadlineSeconds: 600, ...extra,
    },
  };
}

export function daemonSet(name: string, extra: Partial<DaemonSet['spec']> = {}, meta: Partial<DaemonSet['metadata']> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1, creationTimestamp: iso(T0), ...meta },
    spec: {
      selector: { matchLabels: { app: 'web' } }, template: template(),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, ...extra,
    },
  };
}

export function node(name: string, labels: Record<string, string> = {}, taints: NonNullable<Node['spec']>['taints'] = []): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels }, spec: { taints } };
}
