// Schema building blocks shared by every kind: ObjectMeta, references, selectors, conditions.
// Every object schema is closed (`additionalProperties: false`) so unknown fields can be found.

import { Type, type SchemaOptions, type Static, type TProperties, type TLiteral, type TUnion } from '@sinclair/typebox';

/** A closed object: fields not listed are unknown (reported, or pruned, never silently kept). */
export function Obj<T extends TProperties>(props: T, opts: SchemaOptions = {}) {
  return Type.Object(props, { additionalProperties: false, ...opts });
}

export const Opt = Type.Optional;

/** A closed set of strings; validation reports it as "Unsupported value" listing the choices. */
export function StringEnum<const T extends readonly string[]>(values: T, opts: SchemaOptions = {}): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)), opts);
}

export const StringMap = Type.Record(Type.String(), Type.String());
export const Int = (opts: SchemaOptions = {}) => Type.Integer(opts);
export const NonNegInt = (opts: SchemaOptions = {}) => Type.Integer({ minimum: 0, ...opts });
/** RFC 3339 time; kept a plain string (typebox formats are global state), checked semantically where it matters. */
export const Time = Type.String();

/** Marks a schema for the generic semantic walk in validation (quantity syntax, int-or-string percent). */
export const X_FORMAT = 'x-bramble-format';

/** `128Mi`, `250m`, `1.5`; YAML may also give a plain number, as Kubernetes accepts. */
export const Quantity = Type.Union([Type.String(), Type.Number()], { [X_FORMAT]: 'quantity' });
export type Quantity = Static<typeof Quantity>;
export const ResourceList = Type.Record(Type.String(), Quantity);
export type ResourceList = Static<typeof ResourceList>;

/** A port number or name (`targetPort`, probe ports). */
export const IntOrString = Type.Union([Type.Integer(), Type.String()], { 'x-kubernetes-int-or-string': true });
export type IntOrString = Static<typeof IntOrString>;
/** An absolute count or a percentage such as `25%` (maxSurge, maxUnavailable). */
export const IntOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String()], { 'x-kubernetes-int-or-string': true, [X_FORMAT]: 'int-or-percent' });

export const OwnerReference = Obj({
  apiVersion: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  uid: Type.String(),
  controller: Opt(Type.Boolean()),
  blockOwnerDeletion: Opt(Type.Boolean()),
});
export type OwnerReference = Static<typeof OwnerReference>;

// managedFields and selfLink appear in `kubectl get -o yaml` output; they are accepted so such
// output can be re-applied unchanged, but Bramble does not interpret them.
const ManagedFieldsEntry = Type.Object({}, { additionalProperties: true });

export const ObjectMeta = Obj({
  name: Opt(Type.String()),
  generateName: Opt(Type.String()),
  namespace: Opt(Type.String()),
  uid: Opt(Type.String()),
  resourceVersion: Opt(Type.String()),
  generation: Opt(Type.Integer()),
  creationTimestamp: Opt(Time),
  deletionTimestamp: Opt(Time),
  deletionGracePeriodSeconds: Opt(Type.Integer()),
  labels: Opt(StringMap),
  annotations: Opt(StringMap),
  ownerReferences: Opt(Type.Array(OwnerReference)),
  finalizers: Opt(Type.Array(Type.String())),
  managedFields: Opt(Type.Array(ManagedFieldsEntry)),
  selfLink: Opt(Type.String()),
});
export type ObjectMeta = Static<typeof ObjectMeta>;

/** A reference to another object (Event.involvedObject, Endpoints targetRef, ServiceAccount secrets). */
export const ObjectReference = Obj({
  kind: Opt(Type.String()),
  namespace: Opt(Type.String()),
  name: Opt(Type.String()),
  uid: Opt(Type.String()),
  apiVersion: Opt(Type.String()),
  resourceVersion: Opt(Type.String()),
  fieldPath: Opt(Type.String()),
});
export type ObjectReference = Static<typeof ObjectReference>;

export const LocalObjectReference = Obj({ name: Opt(Type.String()) });

export const LabelSelectorOperator = StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']);
export const LabelSelectorRequirement = Obj({
  key: Type.String(),
  operator: LabelSelectorOperator,
  values: Opt(Type.Array(Type.String())),
});
export const LabelSelector = Obj({
  matchLabels: Opt(StringMap),
  matchExpressions: Opt(Type.Array(LabelSelectorRequirement)),
});
export type LabelSelector = Static<typeof LabelSelector>;

export const ConditionStatus = StringEnum(['True', 'False', 'Unknown']);

/** The condition shape shared by Pod, Deployment, ReplicaSet, DaemonSet and Namespace status. */
export const Condition = Obj({
  type: Type.String(),
  status: ConditionStatus,
  lastProbeTime: Opt(Time),
  lastHeartbeatTime: Opt(Time),
  lastUpdateTime: Opt(Time),
  lastTransitionTime: Opt(Time),
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  observedGeneration: Opt(Type.Integer()),
});
export type Condition = Static<typeof Condition>;

/** The envelope fields every kind has; each kind adds spec/status or its own top-level fields. */
// apiVersion and kind are plain strings here so a mismatch gets a precise semantic error
// (validation.ts) instead of a bare "Expected literal".
export function kindEnvelope(apiVersion: string, kind: string) {
  return {
    apiVersion: Type.String({ description: apiVersion }),
    kind: Type.String({ description: kind }),
    metadata: ObjectMeta,
  };
}
