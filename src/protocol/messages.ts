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

export const DesiredMessage = Type.Union([DesiredSync, DesiredUpsert, DesiredDelete]);
export type DesiredMessage = Static<typeof DesiredMessage>;

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

/** The schema of each topic leaf. */
export const topicSchemas: Record<string, TSchema> = {
  'desired': DesiredMessage,
  'logs/request': LogsRequest,
  'hello': Hello,
  'status': Type.Union([NodeStatusReport, NodeHeartbeat]),
  'podstatus': PodStatusReport,
  'presence': Presence,
  'logs/data': LogsData,
};
