// Service and Endpoints (core/v1).

import { Type, type Static } from '@sinclair/typebox';
import { Condition, Int, IntOrString, Obj, ObjectReference, Opt, StringEnum, StringMap, kindEnvelope } from '../meta.js';
import { Protocol } from './pod.js';

export const ServiceType = StringEnum(['ClusterIP', 'NodePort', 'LoadBalancer']);
export type ServiceType = Static<typeof ServiceType>;

export const ServicePort = Obj({
  name: Opt(Type.String()),
  protocol: Opt(Protocol),
  appProtocol: Opt(Type.String()),
  port: Int(),
  targetPort: Opt(IntOrString),
  nodePort: Opt(Int()),
});
export type ServicePort = Static<typeof ServicePort>;

export const ServiceSpec = Obj({
  type: Opt(ServiceType),
  ports: Opt(Type.Array(ServicePort)),
  selector: Opt(StringMap),
  clusterIP: Opt(Type.String()),
  clusterIPs: Opt(Type.Array(Type.String())),
  externalIPs: Opt(Type.Array(Type.String())),
  sessionAffinity: Opt(StringEnum(['None', 'ClientIP'])),
  sessionAffinityConfig: Opt(Obj({ clientIP: Opt(Obj({ timeoutSeconds: Opt(Int({ minimum: 1, maximum: 86400 })) })) })),
  externalTrafficPolicy: Opt(StringEnum(['Cluster', 'Local'])),
  internalTrafficPolicy: Opt(StringEnum(['Cluster', 'Local'])),
  loadBalancerIP: Opt(Type.String()),
  loadBalancerSourceRanges: Opt(Type.Array(Type.String())),
  publishNotReadyAddresses: Opt(Type.Boolean()),
  ipFamilies: Opt(Type.Array(StringEnum(['IPv4', 'IPv6']))),
  ipFamilyPolicy: Opt(StringEnum(['SingleStack', 'PreferDualStack', 'RequireDualStack'])),
});
export type ServiceSpec = Static<typeof ServiceSpec>;

const PortStatus = Obj({ port: Int(), protocol: Protocol, error: Opt(Type.String()) });
export const LoadBalancerIngress = Obj({
  ip: Opt(Type.String()),
  hostname: Opt(Type.String()),
  ipMode: Opt(StringEnum(['VIP', 'Proxy'])),
  ports: Opt(Type.Array(PortStatus)),
});

/**
 * Bramble extension: where the userspace proxy serves each service port for pods (ClusterIP
 * traffic cannot be intercepted without the packet filter). Allocated by the API server.
 */
export const ServiceProxyPort = Obj({ port: Int(), protocol: Protocol, proxyPort: Int() });

export const ServiceStatus = Obj({
  loadBalancer: Opt(Obj({ ingress: Opt(Type.Array(LoadBalancerIngress)) })),
  conditions: Opt(Type.Array(Condition)),
  proxyPorts: Opt(Type.Array(ServiceProxyPort)),
});
export type ServiceStatus = Static<typeof ServiceStatus>;

export const Service = Obj({
  ...kindEnvelope('v1', 'Service'),
  spec: Opt(ServiceSpec),
  status: Opt(ServiceStatus),
});
export type Service = Static<typeof Service>;

export const EndpointAddress = Obj({
  ip: Type.String(),
  hostname: Opt(Type.String()),
  nodeName: Opt(Type.String()),
  targetRef: Opt(ObjectReference),
});
export type EndpointAddress = Static<typeof EndpointAddress>;

export const EndpointPort = Obj({
  name: Opt(Type.String()),
  port: Int(),
  protocol: Opt(Protocol),
  appProtocol: Opt(Type.String()),
});
export type EndpointPort = Static<typeof EndpointPort>;

export const EndpointSubset = Obj({
  addresses: Opt(Type.Array(EndpointAddress)),
  notReadyAddresses: Opt(Type.Array(EndpointAddress)),
  ports: Opt(Type.Array(EndpointPort)),
});
export type EndpointSubset = Static<typeof EndpointSubset>;

export const Endpoints = Obj({
  ...kindEnvelope('v1', 'Endpoints'),
  subsets: Opt(Type.Array(EndpointSubset)),
});
export type Endpoints = Static<typeof Endpoints>;
