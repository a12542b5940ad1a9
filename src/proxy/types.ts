// What a proxy backend is given and what it reports: the Services a node must make reachable,
// flattened to one entry per service port with its endpoints. Both backends (iptables and
// userspace) and both hosts (agent, master gateway) speak this; converting from Service and
// Endpoints objects happens once, in state.ts.

export type ProxyProtocol = 'TCP' | 'UDP';
export type ProxyMode = 'iptables' | 'userspace';

/** One reachable backend: a pod's node address and the host port its container port is published at. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** The node the pod runs on, when known (for logs and counters). */
  nodeName?: string;
}

/** One port of one Service, everything a backend needs to serve it. */
export interface ServicePortEntry {
  /** `namespace/name:portName` (portName may be empty): stable across syncs, the unit of diffing. */
  key: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: ProxyProtocol;
  /** The ClusterIP and service port (iptables mode DNATs these). Absent for headless Services. */
  clusterIP?: string;
  port: number;
  /** Served on every node address (and the gateway) when set. */
  nodePort?: number;
  /**
   * Where the userspace backend serves this port for pods (ClusterIP traffic cannot be
   * intercepted without the packet filter): a cluster-wide port allocated by the API server.
   */
  proxyPort?: number;
  /** Extra addresses the Service is served on at `port` (LoadBalancer ingress on the gateway, externalIPs). */
  externalIPs: string[];
  /** Ready endpoints only; an empty list means connections are refused (TCP RST / ICMP unreachable). */
  endpoints: ProxyEndpoint[];
  /** ClientIP affinity timeout in seconds, or undefined for none. */
  affinitySeconds?: number;
}

export interface ProxyState {
  ports: ServicePortEntry[];
}

/** Per service port counters, exposed in /metrics and node status. */
export interface ServicePortCounters {
  key: string;
  /** Connections (TCP) or flows (UDP) accepted. */
  connections: number;
  /** Bytes from clients to endpoints and back. */
  bytesIn: number;
  bytesOut: number;
  /** Connections that found no reachable endpoint. */
  failed: number;
}

export interface ProxyBackend {
  readonly mode: ProxyMode;
  start(): Promise<void>;
  /**
   * Makes the node serve exactly `state`: idempotent (the same state twice changes nothing),
   * and it leaves nothing behind of ports no longer in it.
   */
  sync(state: ProxyState): Promise<void>;
  /** Removes everything this backend set up (chains, listeners). */
  stop(): Promise<void>;
  counters(): ServicePortCounters[];
}
