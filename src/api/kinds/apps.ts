// Workload kinds (apps/v1): Deployment, ReplicaSet, DaemonSet.

import { Type, type Static } from '@sinclair/typebox';
import { Condition, Int, IntOrPercent, LabelSelector, NonNegInt, Obj, Opt, StringEnum, kindEnvelope } from '../meta.js';
import { PodTemplateSpec } from './pod.js';

const RollingUpdate = Obj({ maxSurge: Opt(IntOrPercent), maxUnavailable: Opt(IntOrPercent) });

export const DeploymentSpec = Obj({
  replicas: Opt(NonNegInt()),
  selector: LabelSelector,
  template: PodTemplateSpec,
  strategy: Opt(Obj({ type: Opt(StringEnum(['RollingUpdate', 'Recreate'])), rollingUpdate: Opt(RollingUpdate) })),
  minReadySeconds: Opt(NonNegInt()),
  revisionHistoryLimit: Opt(NonNegInt()),
  paused: Opt(Type.Boolean()),
  progressDeadlineSeconds: Opt(Int({ minimum: 1 })),
});
export type DeploymentSpec = Static<typeof DeploymentSpec>;

export const DeploymentStatus = Obj({
  observedGeneration: Opt(Int()),
  replicas: Opt(NonNegInt()),
  updatedReplicas: Opt(NonNegInt()),
  readyReplicas: Opt(NonNegInt()),
  availableReplicas: Opt(NonNegInt()),
  unavailableReplicas: Opt(NonNegInt()),
  terminatingReplicas: Opt(NonNegInt()),
  collisionCount: Opt(NonNegInt()),
  conditions: Opt(Type.Array(Condition)),
});
export type DeploymentStatus = Static<typeof DeploymentStatus>;

export const Deployment = Obj({
  ...kindEnvelope('apps/v1', 'Deployment'),
  spec: DeploymentSpec,
  status: Opt(DeploymentStatus),
});
export type Deployment = Static<typeof Deployment>;

export const ReplicaSetSpec = Obj({
  replicas: Opt(NonNegInt()),
  minReadySeconds: Opt(NonNegInt()),
  selector: LabelSelector,
  // Optional in the apps/v1 OpenAPI, but validation requires it, as Kubernetes does.
  template: Opt(PodTemplateSpec),
});
export type ReplicaSetSpec = Static<typeof ReplicaSetSpec>;

// Counters are optional (unlike Kubernetes' Go structs) so a freshly created object's `status: {}` is valid.
export const ReplicaSetStatus = Obj({
  replicas: Opt(NonNegInt()),
  fullyLabeledReplicas: Opt(NonNegInt()),
  readyReplicas: Opt(NonNegInt()),
  availableReplicas: Opt(NonNegInt()),
  terminatingReplicas: Opt(NonNegInt()),
  observedGeneration: Opt(Int()),
  conditions: Opt(Type.Array(Condition)),
});
export type ReplicaSetStatus = Static<typeof ReplicaSetStatus>;

export const ReplicaSet = Obj({
  ...kindEnvelope('apps/v1', 'ReplicaSet'),
  spec: ReplicaSetSpec,
  status: Opt(ReplicaSetStatus),
});
export type ReplicaSet = Static<typeof ReplicaSet>;

export const DaemonSetSpec = Obj({
  selector: LabelSelector,
  template: PodTemplateSpec,
  updateStrategy: Opt(Obj({ type: Opt(StringEnum(['RollingUpdate', 'OnDelete'])), rollingUpdate: Opt(RollingUpdate) })),
  minReadySeconds: Opt(NonNegInt()),
  revisionHistoryLimit: Opt(NonNegInt()),
});
export type DaemonSetSpec = Static<typeof DaemonSetSpec>;

export const DaemonSetStatus = Obj({
  currentNumberScheduled: Opt(NonNegInt()),
  numberMisscheduled: Opt(NonNegInt()),
  desiredNumberScheduled: Opt(NonNegInt()),
  numberReady: Opt(NonNegInt()),
  observedGeneration: Opt(Int()),
  updatedNumberScheduled: Opt(NonNegInt()),
  numberAvailable: Opt(NonNegInt()),
  numberUnavailable: Opt(NonNegInt()),
  collisionCount: Opt(NonNegInt()),
  conditions: Opt(Type.Array(Condition)),
});
export type DaemonSetStatus = Static<typeof DaemonSetStatus>;

export const DaemonSet = Obj({
  ...kindEnvelope('apps/v1', 'DaemonSet'),
  spec: DaemonSetSpec,
  status: Opt(DaemonSetStatus),
});
export type DaemonSet = Static<typeof DaemonSet>;
