// Message envelopes on the node topics: one typebox schema each (validation + types).
// Every message is a JSON object with `v` (the protocol version) and `type`.
// Node → master messages are validated strictly: a node is not trusted.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ConfigMap, NodeStatus, NodeUsage, Pod, PodStatus, Secret, Taint } from '../api/schemas.js';

const V = Type.Literal(1);
const Name = Type.String({ minLength: 1, maxLength: 253 });
const Uid = Type.String({ minLength: 1, maxLength: 64 });
const StreamId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Labels = Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63 }));

// ---- master → node: desired state --------------------------------------------------------

/** A pod with the ConfigMaps and Secrets it references, so the node never needs the API. */
export const PodBundle = Type.Object({
  pod: Pod,
  configMaps: Type.Array(ConfigMap),
  secrets: Type.Array(Secret),
}, { additionalProperties: false });
export type PodBundle = Static<typeof PodBundle>;

/** What a master understands beyond the base protocol, named in `sync.features`. */
export const masterFeatures = {
  /** `heartbeat` messages on the status topic (see NodeHeartbeat). */
  heartbeat: 'heartbeat',
} as const;

/** The full desired set: pods not listed must not run. Sent on every (re)connect. */
export const DesiredSync = Type.Object({
  v: V, type: Type.Literal('sync'),
  /** Store revision the set was read at. */
  revision: Type.Integer({ minimum: 0 }),
  pods: Type.Array(PodBundle),
  /**
   * Optional protocol features this master understands (e.g. "heartbeat"). Absent from older
   * masters; older agents ignore it. A node answers every sync with a full status report.
   */
  features: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 })),
}, { additionalProperties: false });

/** One pod added or changed (including its deletionTimestamp, or a referenced ConfigMap/Secret). */
export const DesiredUpsert = Type.Object({
  v: V, type: Type.Literal('upsert'),
  revision: Type.Integer({ minimum: 0 }),
  bundle: PodBundle,
}, { additionalProperties: false });

/** One pod gone from the API: stop and remove it now. */
export const DesiredDelete = Type.Object({
  v: V, type: Type.Literal('delete'),
  revision: Type.Integer({ minimum: 0 }),
  namespace: Name, name: Name, uid: Uid,
}, { additionalProperties: false });

/**
 * Send the status of every pod you run again, changed or not. The master asks this of a node
 * it had marked unreachable (Ready=Unknown: its pods were marked not ready meanwhile) that
 * reports again on the same connection, once the node's Ready status is written back, so the
 * pods' own reports land after it. Nothing else changes; older agents ignore it (a warn line).
 */
export const DesiredResend = Type.Object({
  v: V, type: Type.Literal('resend'),
}, { additionalProperties: false });

export const DesiredMessage = Type.Union([DesiredSync, DesiredUpsert, DesiredDelete, DesiredResend]);
export type DesiredMessage = Static<typeof DesiredMessage>;

// ---- master → node: services -------------------------------------------------------------

const PortNumber = Type.Integer({ minimum: 1, maximum: 65535 });
const IPv4or6 = Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' });

/** One ready endpoint of a service port: a pod's node address and published host port. */
export const ServiceEndpoint = Type.Object({
  ip: IPv4or6,
  port: PortNumber,
  nodeName: Type.Optional(Name),
}, { additionalProperties: false });

/** One port of a Service, with its ready endpoints (matched by port name, as the proxy uses them). */
export const ServiceBundlePort = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 63 })),
  protocol: Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')]),
  port: PortNumber,
  nodePort: Type.Optional(PortNumber),
  /** Bramble: where the userspace proxy serves this port for pods (Service status.proxyPorts). */
  proxyPort: Type.Optional(PortNumber),
  endpoints: Type.Array(ServiceEndpoint, { maxItems: 4096 }),
}, { additionalProperties: false });

/**
 * A Service and its Endpoints pruned to what a node's proxy and the pods' environment
 * variables need; ports in the Service's order (the first one names `{NAME}_SERVICE_PORT`).
 */
export const ServiceBundle = Type.Object({
  namespace: Name, name: Name,
  /** The highest resourceVersion of the Service and its Endpoints. */
  revision: Type.Integer({ minimum: 0 }),
  type: Type.Optional(Type.String({ maxLength: 32 })),
  /** Absent for a headless Service. */
  clusterIP: Type.Optional(IPv4or6),
  ports: Type.Array(ServiceBundlePort, { maxItems: 256 }),
  /** spec.externalIPs and LoadBalancer ingress addresses: served at `port` by the node that holds them. */
  externalIPs: Type.Optional(Type.Array(IPv4or6, { maxItems: 64 })),
  /** ClientIP session affinity timeout; absent for none. */
  affinitySeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
}, { additionalProperties: false });
export type ServiceBundle = Static<typeof ServiceBundle>;

/** Every Service of the cluster (any pod may call any service): services not listed are gone. Sent on every (re)connect. */
export const ServicesSync = Type.Object({
  v: V, type: Type.Literal('services.sync'),
  revision: Type.Integer({ minimum: 0 }),
  services: Type.Array(ServiceBundle),
}, { additionalProperties: false });

/** One Service added or changed (its spec, status or Endpoints). */
export const ServicesUpsert = Type.Object({
  v: V, type: Type.Literal('services.upsert'),
  revision: Type.Integer({ minimum: 0 }),
  service: ServiceBundle,
}, { additionalProperties: false });

/** One Service gone. */
export const ServicesDelete = Type.Object({
  v: V, type: Type.Literal('services.delete'),
  revision: Type.Integer({ minimum: 0 }),
  namespace: Name, name: Name,
}, { additionalProperties: false });

export const ServicesMessage = Type.Union([ServicesSync, ServicesUpsert, ServicesDelete]);
export type ServicesMessage = Static<typeof ServicesMessage>;

// ---- master → node: logs -----------------------------------------------------------------

export const LogsStart = Type.Object({
  v: V, type: Type.Literal('logs.start'),
  id: StreamId,
  namespace: Name, pod: Name, uid: Uid,
  container: Name,
  follow: Type.Boolean(),
  tailLines: Type.Optional(Type.Integer({ minimum: 0 })),
  sinceSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  timestamps: Type.Optional(Type.Boolean()),
  limitBytes: Type.Optional(Type.Integer({ minimum: 1 })),
  previous: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const LogsCancel = Type.Object({ v: V, type: Type.Literal('logs.cancel'), id: StreamId }, { additionalProperties: false });

export const LogsRequest = Type.Union([LogsStart, LogsCancel]);
export type LogsRequest = Static<typeof LogsRequest>;

// ---- node → master -----------------------------------------------------------------------

export const Hello = Type.Object({
  v: V, type: Type.Literal('hello'),
  agentVersion: Type.String({ maxLength: 64 }),
  /** Highest desired-state revision the node has applied (0 after a fresh install). */
  appliedRevision: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type Hello = Static<typeof Hello>;

/** A node's digest of its status without heartbeat times and live readings (opaque to the master). */
const StatusDigest = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9+/=_-]+$' });

/** Node registration and heartbeat: the node's labels, taints it sets itself, and its status. */
export const NodeStatusReport = Type.Object({
  v: V, type: Type.Literal('status'),
  labels: Labels,
  taints: Type.Optional(Type.Array(Taint, { maxItems: 64 })),
  status: NodeStatus,
  /** The digest `heartbeat` messages refer to (sent by agents that may send heartbeats). */
  sig: Type.Optional(StatusDigest),
}, { additionalProperties: false });
export type NodeStatusReport = Static<typeof NodeStatusReport>;

/**
 * A compact heartbeat, sent instead of a full `status` (only to a master whose `sync` listed
 * the "heartbeat" feature) while nothing but heartbeat times and usage changed since the full
 * report whose `sig` it repeats. Keeps presence and carries live usage.
 */
export const NodeHeartbeat = Type.Object({
  v: V, type: Type.Literal('heartbeat'),
  sig: StatusDigest,
  usage: Type.Optional(NodeUsage),
}, { additionalProperties: false });
export type NodeHeartbeat = Static<typeof NodeHeartbeat>;

export const PodStatusReport = Type.Object({
  v: V, type: Type.Literal('podstatus'),
  namespace: Name, name: Name, uid: Uid,
  status: PodStatus,
  /** The node confirms every container of a pod being deleted is gone. */
  terminated: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type PodStatusReport = Static<typeof PodStatusReport>;

export const Presence = Type.Object({
  v: V, type: Type.Literal('presence'),
  state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
}, { additionalProperties: false });
export type Presence = Static<typeof Presence>;

export const LogsData = Type.Object({
  v: V, type: Type.Literal('logs.data'),
  id: StreamId,
  seq: Type.Integer({ minimum: 0 }),
  /** Raw log bytes, base64 (container output need not be UTF-8). */
  data: Type.Optional(Type.String({ maxLength: 1_400_000 })),
  end: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String({ maxLength: 4096 })),
}, { additionalProperties: false });
export type LogsData = Static<typeof LogsData>;

/** Cumulative counters of one service port on a node since its proxy started. */
export const ProxyPortCounters = Type.Object({
  /** `namespace/name:portName`. */
  key: Type.String({ minLength: 3, maxLength: 600 }),
  connections: Type.Integer({ minimum: 0 }),
  bytesIn: Type.Integer({ minimum: 0 }),
  bytesOut: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });

/**
 * The node's proxy: its mode and per service port counters (only ports with traffic). Sent
 * after connecting and then every 30 s while they changed; cumulative, so a lost one costs nothing.
 */
export const ProxyReport = Type.Object({
  v: V, type: Type.Literal('proxy'),
  mode: Type.Union([Type.Literal('iptables'), Type.Literal('userspace')]),
  /** Counters restart at 0 when this changes (a new agent process). */
  since: Type.String({ maxLength: 40 }),
  services: Type.Array(ProxyPortCounters, { maxItems: 10_000 }),
}, { additionalProperties: false });
export type ProxyReport = Static<typeof ProxyReport>;

/** The schema of each topic leaf. */
export const topicSchemas: Record<string, TSchema> = {
  'desired': DesiredMessage,
  'services': ServicesMessage,
  'logs/request': LogsRequest,
  'hello': Hello,
  'status': Type.Union([NodeStatusReport, NodeHeartbeat]),
  'podstatus': PodStatusReport,
  'presence': Presence,
  'logs/data': LogsData,
  'proxy': ProxyReport,
};
