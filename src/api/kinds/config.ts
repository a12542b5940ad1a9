// ConfigMap, Secret, ServiceAccount and Event (core/v1): kinds with top-level fields instead of spec.

import { Type, type Static } from '@sinclair/typebox';
import { Int, LocalObjectReference, Obj, ObjectReference, Opt, StringEnum, StringMap, Time, kindEnvelope } from '../meta.js';

export const ConfigMap = Obj({
  ...kindEnvelope('v1', 'ConfigMap'),
  data: Opt(StringMap),
  binaryData: Opt(StringMap),
  immutable: Opt(Type.Boolean()),
});
export type ConfigMap = Static<typeof ConfigMap>;

export const Secret = Obj({
  ...kindEnvelope('v1', 'Secret'),
  // Free-form in Kubernetes (Opaque, kubernetes.io/tls, ...); defaulted to Opaque.
  type: Opt(Type.String()),
  data: Opt(StringMap),
  stringData: Opt(StringMap),
  immutable: Opt(Type.Boolean()),
});
export type Secret = Static<typeof Secret>;

export const ServiceAccount = Obj({
  ...kindEnvelope('v1', 'ServiceAccount'),
  secrets: Opt(Type.Array(ObjectReference)),
  imagePullSecrets: Opt(Type.Array(LocalObjectReference)),
  automountServiceAccountToken: Opt(Type.Boolean()),
});
export type ServiceAccount = Static<typeof ServiceAccount>;

export const EventSource = Obj({ component: Opt(Type.String()), host: Opt(Type.String()) });

export const Event = Obj({
  ...kindEnvelope('v1', 'Event'),
  involvedObject: ObjectReference,
  reason: Opt(Type.String()),
  message: Opt(Type.String()),
  type: Opt(StringEnum(['Normal', 'Warning'])),
  source: Opt(EventSource),
  count: Opt(Int()),
  firstTimestamp: Opt(Time),
  lastTimestamp: Opt(Time),
  eventTime: Opt(Time),
  series: Opt(Obj({ count: Opt(Int()), lastObservedTime: Opt(Time) })),
  action: Opt(Type.String()),
  related: Opt(ObjectReference),
  reportingComponent: Opt(Type.String()),
  reportingInstance: Opt(Type.String()),
});
export type Event = Static<typeof Event>;
