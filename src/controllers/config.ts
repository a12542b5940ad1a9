// Cluster-wide controller settings (`bramble master` flags map onto these).
export interface ControllerConfig {
  /**
   * How long pods stay on a node whose presence is lost before they are evicted, when the pod
   * itself does not say (the default toleration of the unreachable/not-ready taints).
   */
  podEvictionTimeoutSeconds: number;
  /** Events older than this are deleted. */
  eventTTLSeconds: number;
}

export const defaultControllerConfig: ControllerConfig = {
  // Edge links drop for minutes (Wi-Fi, LTE, a power-cycled switch) while the device keeps
  // running its pods autonomously: moving them after Kubernetes' 5 minutes would churn the
  // fleet for every blip. 15 minutes rides out common outages; see docs/controllers.md.
  podEvictionTimeoutSeconds: 900,
  eventTTLSeconds: 3600,
};
