// Cluster-wide controller settings (`bramble master` flags map onto these).
import type { CloudProvider } from './cloud/provider.js';

export interface ControllerConfig {
  /**
   * How long pods stay on a node whose presence is lost before they are evicted, when the pod
   * itself does not say (the default toleration of the unreachable/not-ready taints).
   */
  podEvictionTimeoutSeconds: number;
  /** Events older than this are deleted. */
  eventTTLSeconds: number;
  /** How long a not-Ready node whose device left the fleet is kept before it is deleted. */
  cloudNodeGraceSeconds: number;
  /** Says whether a node's device still exists (the master sets the `lan` provider); none: never asked. */
  cloudProvider?: CloudProvider;
  /**
   * The gateway's LAN address LoadBalancer Services are given as ingress (the `lan` provider's
   * service controller, cloud/service-lb.ts); none: they stay pending.
   */
  loadBalancerAddress?: string;
  /** Ports the gateway itself listens on, `"TCP/6443": "the master's API server"`: never given to a LoadBalancer. */
  loadBalancerReservedPorts?: Record<string, string>;
}

export const defaultControllerConfig: ControllerConfig = {
  // Edge links drop for minutes (Wi-Fi, LTE, a power-cycled switch) while the device keeps
  // running its pods autonomously: moving them after Kubernetes' 5 minutes would churn the
  // fleet for every blip. 15 minutes rides out common outages; see docs/controllers.md.
  podEvictionTimeoutSeconds: 900,
  eventTTLSeconds: 3600,
  // Short: the node is already not Ready and its last credential is gone, so it cannot come back
  // as it was; the grace only forgives revoking a token just before issuing its replacement.
  cloudNodeGraceSeconds: 60,
};
