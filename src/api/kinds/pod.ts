// Pod, its spec and status (core/v1), and the pod template used by the workload kinds.

import { Type, type Static } from '@sinclair/typebox';
import {
  Condition, IntOrString, Int, LocalObjectReference, NonNegInt, Obj, ObjectMeta, Opt, Quantity,
  ResourceList, StringEnum, StringMap, Time, kindEnvelope,
} from '../meta.js';

export const Protocol = StringEnum(['TCP', 'UDP']);

const KeyRef = Obj({ name: Opt(Type.String()), key: Type.String(), optional: Opt(Type.Boolean()) });
const FieldRef = Obj({ apiVersion: Opt(Type.String()), fieldPath: Type.String() });
const ResourceFieldRef = Obj({ containerName: Opt(Type.String()), resource: Type.String(), divisor: Opt(Quantity) });

export const EnvVar = Obj({
  name: Type.String(),
  value: Opt(Type.String()),
  valueFrom: Opt(Obj({
    configMapKeyRef: Opt(KeyRef),
    secretKeyRef: Opt(KeyRef),
    fieldRef: Opt(FieldRef),
    resourceFieldRef: Opt(ResourceFieldRef),
  })),
});
export type EnvVar = Static<typeof EnvVar>;

const SourceRef = Obj({ name: Opt(Type.String()), optional: Opt(Type.Boolean()) });
export const EnvFromSource = Obj({ prefix: Opt(Type.String()), configMapRef: Opt(SourceRef), secretRef: Opt(SourceRef) });

export const ContainerPort = Obj({
  name: Opt(Type.String()),
  containerPort: Int(),
  hostPort: Opt(Int()),
  hostIP: Opt(Type.String()),
  protocol: Opt(Protocol),
});
export type ContainerPort = Static<typeof ContainerPort>;

export const ResourceRequirements = Obj({ requests: Opt(ResourceList), limits: Opt(ResourceList) });

export const VolumeMount = Obj({
  name: Type.String(),
  mountPath: Type.String(),
  readOnly: Opt(Type.Boolean()),
  subPath: Opt(Type.String()),
  mountPropagation: Opt(StringEnum(['None', 'HostToContainer', 'Bidirectional'])),
});

const ExecAction = Obj({ command: Opt(Type.Array(Type.String())) });
const HTTPGetAction = Obj({
  path: Opt(Type.String()),
  port: IntOrString,
  host: Opt(Type.String()),
  scheme: Opt(StringEnum(['HTTP', 'HTTPS'])),
  httpHeaders: Opt(Type.Array(Obj({ name: Type.String(), value: Type.String() }))),
});
const TCPSocketAction = Obj({ port: IntOrString, host: Opt(Type.String()) });
const GRPCAction = Obj({ port: Int(), service: Opt(Type.String()) });

export const Probe = Obj({
  exec: Opt(ExecAction),
  httpGet: Opt(HTTPGetAction),
  tcpSocket: Opt(TCPSocketAction),
  grpc: Opt(GRPCAction),
  initialDelaySeconds: Opt(NonNegInt()),
  timeoutSeconds: Opt(NonNegInt()),
  periodSeconds: Opt(NonNegInt()),
  successThreshold: Opt(NonNegInt()),
  failureThreshold: Opt(NonNegInt()),
  terminationGracePeriodSeconds: Opt(NonNegInt()),
});
export type Probe = Static<typeof Probe>;

const LifecycleHandler = Obj({
  exec: Opt(ExecAction),
  httpGet: Opt(HTTPGetAction),
  tcpSocket: Opt(TCPSocketAction),
  sleep: Opt(Obj({ seconds: NonNegInt() })),
});

export const SecurityContext = Obj({
  privileged: Opt(Type.Boolean()),
  runAsUser: Opt(NonNegInt()),
  runAsGroup: Opt(NonNegInt()),
  runAsNonRoot: Opt(Type.Boolean()),
  readOnlyRootFilesystem: Opt(Type.Boolean()),
  allowPrivilegeEscalation: Opt(Type.Boolean()),
  capabilities: Opt(Obj({ add: Opt(Type.Array(Type.String())), drop: Opt(Type.Array(Type.String())) })),
});

export const Container = Obj({
  name: Type.String(),
  image: Opt(Type.String()),
  imagePullPolicy: Opt(StringEnum(['Always', 'IfNotPresent', 'Never'])),
  command: Opt(Type.Array(Type.String())),
  args: Opt(Type.Array(Type.String())),
  workingDir: Opt(Type.String()),
  env: Opt(Type.Array(EnvVar)),
  envFrom: Opt(Type.Array(EnvFromSource)),
  ports: Opt(Type.Array(ContainerPort)),
  resources: Opt(ResourceRequirements),
  volumeMounts: Opt(Type.Array(VolumeMount)),
  livenessProbe: Opt(Probe),
  readinessProbe: Opt(Probe),
  startupProbe: Opt(Probe),
  lifecycle: Opt(Obj({ postStart: Opt(LifecycleHandler), preStop: Opt(LifecycleHandler) })),
  securityContext: Opt(SecurityContext),
  stdin: Opt(Type.Boolean()),
  stdinOnce: Opt(Type.Boolean()),
  tty: Opt(Type.Boolean()),
  terminationMessagePath: Opt(Type.String()),
  terminationMessagePolicy: Opt(StringEnum(['File', 'FallbackToLogsOnError'])),
});
export type Container = Static<typeof Container>;

const KeyToPath = Obj({ key: Type.String(), path: Type.String(), mode: Opt(Int()) });

export const Volume = Obj({
  name: Type.String(),
  emptyDir: Opt(Obj({ medium: Opt(StringEnum(['', 'Memory'])), sizeLimit: Opt(Quantity) })),
  hostPath: Opt(Obj({
    path: Type.String(),
    type: Opt(StringEnum(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'])),
  })),
  configMap: Opt(Obj({ name: Opt(Type.String()), items: Opt(Type.Array(KeyToPath)), defaultMode: Opt(Int()), optional: Opt(Type.Boolean()) })),
  secret: Opt(Obj({ secretName: Opt(Type.String()), items: Opt(Type.Array(KeyToPath)), defaultMode: Opt(Int()), optional: Opt(Type.Boolean()) })),
});
export type Volume = Static<typeof Volume>;

export const NodeSelectorOperator = StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
const NodeSelectorRequirement = Obj({ key: Type.String(), operator: NodeSelectorOperator, values: Opt(Type.Array(Type.String())) });
export const NodeSelectorTerm = Obj({
  matchExpressions: Opt(Type.Array(NodeSelectorRequirement)),
  matchFields: Opt(Type.Array(NodeSelectorRequirement)),
});
export type NodeSelectorTerm = Static<typeof NodeSelectorTerm>;

export const NodeAffinity = Obj({
  requiredDuringSchedulingIgnoredDuringExecution: Opt(Obj({ nodeSelectorTerms: Type.Array(NodeSelectorTerm) })),
  preferredDuringSchedulingIgnoredDuringExecution: Opt(Type.Array(Obj({ weight: Int({ minimum: 1, maximum: 100 }), preference: NodeSelectorTerm }))),
});
export type NodeAffinity = Static<typeof NodeAffinity>;

export const TaintEffect = StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
export const Toleration = Obj({
  key: Opt(Type.String()),
  operator: Opt(StringEnum(['Exists', 'Equal'])),
  value: Opt(Type.String()),
  // An empty effect tolerates every effect.
  effect: Opt(StringEnum(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'])),
  tolerationSeconds: Opt(Int()),
});
export type Toleration = Static<typeof Toleration>;

const PodSecurityContext = Obj({
  runAsUser: Opt(NonNegInt()),
  runAsGroup: Opt(NonNegInt()),
  runAsNonRoot: Opt(Type.Boolean()),
  fsGroup: Opt(NonNegInt()),
  supplementalGroups: Opt(Type.Array(NonNegInt())),
});

export const RestartPolicy = StringEnum(['Always', 'OnFailure', 'Never']);

export const PodSpec = Obj({
  containers: Type.Array(Container),
  initContainers: Opt(Type.Array(Container)),
  volumes: Opt(Type.Array(Volume)),
  nodeSelector: Opt(StringMap),
  nodeName: Opt(Type.String()),
  affinity: Opt(Obj({ nodeAffinity: Opt(NodeAffinity) })),
  tolerations: Opt(Type.Array(Toleration)),
  restartPolicy: Opt(RestartPolicy),
  terminationGracePeriodSeconds: Opt(NonNegInt()),
  activeDeadlineSeconds: Opt(Int({ minimum: 1 })),
  priority: Opt(Int()),
  priorityClassName: Opt(Type.String()),
  hostNetwork: Opt(Type.Boolean()),
  hostPID: Opt(Type.Boolean()),
  hostIPC: Opt(Type.Boolean()),
  hostname: Opt(Type.String()),
  subdomain: Opt(Type.String()),
  serviceAccountName: Opt(Type.String()),
  // Deprecated alias of serviceAccountName, still written by older tools.
  serviceAccount: Opt(Type.String()),
  automountServiceAccountToken: Opt(Type.Boolean()),
  enableServiceLinks: Opt(Type.Boolean()),
  imagePullSecrets: Opt(Type.Array(LocalObjectReference)),
  securityContext: Opt(PodSecurityContext),
  dnsPolicy: Opt(StringEnum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'])),
  schedulerName: Opt(Type.String()),
});
export type PodSpec = Static<typeof PodSpec>;

export const ContainerState = Obj({
  waiting: Opt(Obj({ reason: Opt(Type.String()), message: Opt(Type.String()) })),
  running: Opt(Obj({ startedAt: Opt(Time) })),
  terminated: Opt(Obj({
    exitCode: Int(),
    signal: Opt(Int()),
    reason: Opt(Type.String()),
    message: Opt(Type.String()),
    startedAt: Opt(Time),
    finishedAt: Opt(Time),
    containerID: Opt(Type.String()),
  })),
});
export type ContainerState = Static<typeof ContainerState>;

export const ContainerStatus = Obj({
  name: Type.String(),
  state: Opt(ContainerState),
  lastState: Opt(ContainerState),
  ready: Type.Boolean(),
  started: Opt(Type.Boolean()),
  restartCount: NonNegInt(),
  image: Type.String(),
  imageID: Opt(Type.String()),
  containerID: Opt(Type.String()),
});
export type ContainerStatus = Static<typeof ContainerStatus>;

export const PodPhase = StringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
export type PodPhase = Static<typeof PodPhase>;
const PodIP = Obj({ ip: Type.String() });

export const PortMapping = Obj({
  containerName: Type.String(),
  name: Opt(Type.String()),
  containerPort: Int({ minimum: 1, maximum: 65535 }),
  protocol: Protocol,
  hostIP: Type.String(),
  hostPort: Int({ minimum: 1, maximum: 65535 }),
});
export type PortMapping = Static<typeof PortMapping>;

export const PodStatus = Obj({
  phase: Opt(PodPhase),
  conditions: Opt(Type.Array(Condition)),
  message: Opt(Type.String()),
  reason: Opt(Type.String()),
  nominatedNodeName: Opt(Type.String()),
  hostIP: Opt(Type.String()),
  hostIPs: Opt(Type.Array(PodIP)),
  podIP: Opt(Type.String()),
  podIPs: Opt(Type.Array(PodIP)),
  startTime: Opt(Time),
  initContainerStatuses: Opt(Type.Array(ContainerStatus)),
  containerStatuses: Opt(Type.Array(ContainerStatus)),
  qosClass: Opt(StringEnum(['Guaranteed', 'Burstable', 'BestEffort'])),
  /**
   * Bramble: where each container port is published on the node (hostIP:hostPort), so
   * Endpoints can point at it without an overlay network.
   */
  portMappings: Opt(Type.Array(PortMapping)),
});
export type PodStatus = Static<typeof PodStatus>;

export const Pod = Obj({
  ...kindEnvelope('v1', 'Pod'),
  spec: PodSpec,
  status: Opt(PodStatus),
});
export type Pod = Static<typeof Pod>;

export const PodTemplateSpec = Obj({ metadata: Opt(ObjectMeta), spec: PodSpec });
export type PodTemplateSpec = Static<typeof PodTemplateSpec>;
