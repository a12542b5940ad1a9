// Node and Namespace (core/v1, cluster-scoped).

import { Type, type Static } from '@sinclair/typebox';
import { Condition, Int, NonNegInt, Obj, Opt, Quantity, ResourceList, StringEnum, Time, kindEnvelope } from '../meta.js';
import { TaintEffect } from './pod.js';

export const Taint = Obj({
  key: Type.String(),
  value: Opt(Type.String()),
  effect: TaintEffect,
  timeAdded: Opt(Time),
});
export type Taint = Static<typeof Taint>;

export const NodeSpec = Obj({
  unschedulable: Opt(Type.Boolean()),
  taints: Opt(Type.Array(Taint)),
  podCIDR: Opt(Type.String()),
  podCIDRs: Opt(Type.Array(Type.String())),
  providerID: Opt(Type.String()),
});
export type NodeSpec = Static<typeof NodeSpec>;

export const NodeAddress = Obj({
  type: StringEnum(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']),
  address: Type.String(),
});
export type NodeAddress = Static<typeof NodeAddress>;

export const NodeSystemInfo = Obj({
  machineID: Opt(Type.String()),
  systemUUID: Opt(Type.String()),
  bootID: Opt(Type.String()),
  kernelVersion: Opt(Type.String()),
  osImage: Opt(Type.String()),
  containerRuntimeVersion: Opt(Type.String()),
  kubeletVersion: Opt(Type.String()),
  kubeProxyVersion: Opt(Type.String()),
  operatingSystem: Opt(Type.String()),
  architecture: Opt(Type.String()),
});
export type NodeSystemInfo = Static<typeof NodeSystemInfo>;

export const NodeUsage = Obj({
  /** CPU in use, as a quantity (e.g. "850m"). */
  cpu: Opt(Quantity),
  /** Memory in use (e.g. "612Mi"). */
  memory: Opt(Quantity),
  /** CPU use as a percentage of all cores, 0–100. */
  cpuPercent: Opt(Type.Number({ minimum: 0, maximum: 100 })),
  memoryPercent: Opt(Type.Number({ minimum: 0, maximum: 100 })),
  temperatureCelsius: Opt(Type.Number()),
  /** The SoC is throttling (heat or under-voltage), where the hardware reports it. */
  throttled: Opt(Type.Boolean()),
  timestamp: Opt(Time),
});
export type NodeUsage = Static<typeof NodeUsage>;

export const NodeStatus = Obj({
  capacity: Opt(ResourceList),
  allocatable: Opt(ResourceList),
  phase: Opt(StringEnum(['Pending', 'Running', 'Terminated'])),
  conditions: Opt(Type.Array(Condition)),
  addresses: Opt(Type.Array(NodeAddress)),
  nodeInfo: Opt(NodeSystemInfo),
  daemonEndpoints: Opt(Obj({ kubeletEndpoint: Opt(Obj({ Port: Int({ minimum: 0, maximum: 65535 }) })) })),
  images: Opt(Type.Array(Obj({ names: Opt(Type.Array(Type.String())), sizeBytes: Opt(NonNegInt()) }))),
  /**
   * Bramble: live readings the agent reports with every heartbeat. Volatile: kept in memory
   * on the master, never written to disk on their own (see docs/architecture.md).
   */
  usage: Opt(NodeUsage),
});
export type NodeStatus = Static<typeof NodeStatus>;

export const Node = Obj({
  ...kindEnvelope('v1', 'Node'),
  spec: Opt(NodeSpec),
  status: Opt(NodeStatus),
});
export type Node = Static<typeof Node>;

export const NamespacePhase = StringEnum(['Active', 'Terminating']);

/**
 * The finalizer (in spec.finalizers) the API server puts on a namespace being deleted; the
 * namespace controller removes it once the namespace is empty, and the namespace is then removed.
 */
export const namespaceFinalizer = 'kubernetes';

export const Namespace = Obj({
  ...kindEnvelope('v1', 'Namespace'),
  spec: Opt(Obj({ finalizers: Opt(Type.Array(Type.String())) })),
  status: Opt(Obj({ phase: Opt(NamespacePhase), conditions: Opt(Type.Array(Condition)) })),
});
export type Namespace = Static<typeof Namespace>;
