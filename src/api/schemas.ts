// One typebox schema per kind: validation, TypeScript types (Static<>) and, later, OpenAPI.
// The schemas themselves live in src/api/kinds/*; this file is the index other components import.

import type { TSchema } from '@sinclair/typebox';
import { DaemonSet, Deployment, ReplicaSet } from './kinds/apps.js';
import { ConfigMap, Event, Secret, ServiceAccount } from './kinds/config.js';
import { Namespace, Node } from './kinds/node.js';
import { Pod } from './kinds/pod.js';
import { Endpoints, Service } from './kinds/service.js';

export type KindName = 'Namespace' | 'Node' | 'Pod' | 'Service' | 'Endpoints' | 'ConfigMap' | 'Secret' | 'Event' | 'ServiceAccount' | 'Deployment' | 'ReplicaSet' | 'DaemonSet';

export const kindSchemas: Record<KindName, TSchema> = {
  Namespace, Node, Pod, Service, Endpoints, ConfigMap, Secret, Event, ServiceAccount, Deployment, ReplicaSet, DaemonSet,
};

// Schemas (values) and their Static types (same names) for other components.
export {
  Condition, IntOrString, LabelSelector, ObjectMeta, ObjectReference, OwnerReference, Quantity, ResourceList,
} from './meta.js';
export {
  Container, ContainerPort, ContainerState, ContainerStatus, EnvVar, NodeAffinity, NodeSelectorTerm, Pod, PodPhase, PodSpec,
  PodStatus, PodTemplateSpec, PortMapping, Probe, Toleration, Volume,
} from './kinds/pod.js';
export { Namespace, Node, NodeAddress, NodeSpec, NodeStatus, NodeSystemInfo, NodeUsage, Taint } from './kinds/node.js';
export {
  DaemonSet, DaemonSetSpec, DaemonSetStatus, Deployment, DeploymentSpec, DeploymentStatus, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus,
} from './kinds/apps.js';
export {
  EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Service, ServicePort, ServiceSpec, ServiceStatus, ServiceType,
} from './kinds/service.js';
export { ConfigMap, Event, Secret, ServiceAccount } from './kinds/config.js';
