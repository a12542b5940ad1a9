import { describe, expect, it } from 'vitest';
import { validateName, validateNamespaceName, validateObject } from '../../src/api/validation.js';
import { rt, valid, withChange } from './helpers.js';

describe('validateObject: valid objects', () => {
  for (const kind of Object.keys(valid)) {
    it(`accepts a valid ${kind}`, () => expect(validateObject(rt(kind), valid[kind]!())).toEqual([]));
  }
});

// [kind, path to change, new value, expected field, expected reason, message fragment]
const cases: [string, string, unknown, string, string, string][] = [
  ['Pod', 'metadata.name', 'Foo_bar', 'metadata.name', 'FieldValueInvalid', 'Invalid value: "Foo_bar": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters'],
  ['Pod', 'metadata.name', 'a'.repeat(254), 'metadata.name', 'FieldValueInvalid', 'no more than 253'],
  ['Pod', 'metadata.name', undefined, 'metadata.name', 'FieldValueRequired', 'name or generateName is required'],
  ['Pod', 'metadata.namespace', 'Bad_NS', 'metadata.namespace', 'FieldValueInvalid', 'RFC 1123 label'],
  ['Pod', 'metadata.labels', { 'bad key!': 'x' }, 'metadata.labels', 'FieldValueInvalid', '"bad key!"'],
  ['Pod', 'metadata.labels', { app: 'bad value!' }, 'metadata.labels[app]', 'FieldValueInvalid', '"bad value!"'],
  ['Pod', 'metadata.annotations', { 'bad key!': 'x' }, 'metadata.annotations', 'FieldValueInvalid', '"bad key!"'],
  ['Pod', 'metadata.labels', { app: 3 }, 'metadata.labels[app]', 'FieldValueTypeInvalid', 'must be a string'],
  ['Pod', 'apiVersion', 'apps/v1', 'apiVersion', 'FieldValueNotSupported', 'supported values: "v1"'],
  ['Pod', 'kind', 'Deployment', 'kind', 'FieldValueNotSupported', '"Pod"'],
  ['Pod', 'spec.containers[0].image', undefined, 'spec.containers[0].image', 'FieldValueRequired', 'Required value'],
  ['Pod', 'spec.containers[0].name', undefined, 'spec.containers[0].name', 'FieldValueRequired', 'Required value'],
  ['Pod', 'spec.containers[0].name', 'Web', 'spec.containers[0].name', 'FieldValueInvalid', 'RFC 1123 label'],
  ['Pod', 'spec.containers[1]', { name: 'web', image: 'x' }, 'spec.containers[1].name', 'FieldValueDuplicate', 'Duplicate value: "web"'],
  ['Pod', 'spec.containers', [], 'spec.containers', 'FieldValueRequired', 'Required value'],
  ['Pod', 'spec.containers[0].ports[0].containerPort', 0, 'spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Pod', 'spec.containers[0].ports[0].containerPort', 70000, 'spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Pod', 'spec.containers[0].ports[0].containerPort', '80', 'spec.containers[0].ports[0].containerPort', 'FieldValueTypeInvalid', 'must be an integer'],
  ['Pod', 'spec.containers[0].ports[0].hostPort', 65536, 'spec.containers[0].ports[0].hostPort', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Pod', 'spec.containers[0].ports[0].protocol', 'SCTP', 'spec.containers[0].ports[0].protocol', 'FieldValueNotSupported', 'supported values: "TCP", "UDP"'],
  ['Pod', 'spec.containers[0].ports[0].name', 'HTTP_PORT', 'spec.containers[0].ports[0].name', 'FieldValueInvalid', 'alpha-numeric'],
  ['Pod', 'spec.containers[0].imagePullPolicy', 'Sometimes', 'spec.containers[0].imagePullPolicy', 'FieldValueNotSupported', '"Always", "IfNotPresent", "Never"'],
  ['Pod', 'spec.restartPolicy', 'Sometimes', 'spec.restartPolicy', 'FieldValueNotSupported', '"Always", "OnFailure", "Never"'],
  ['Pod', 'spec.containers[0].resources.requests.cpu', '100x', 'spec.containers[0].resources.requests[cpu]', 'FieldValueInvalid', 'unknown suffix "x"'],
  ['Pod', 'spec.containers[0].resources.limits.memory', 'lots', 'spec.containers[0].resources.limits[memory]', 'FieldValueInvalid', 'must start with a number'],
  ['Pod', 'spec.containers[0].resources.requests.memory', '1Gi', 'spec.containers[0].resources.requests[memory]', 'FieldValueInvalid', 'less than or equal to memory limit'],
  ['Pod', 'spec.containers[0].resources.requests.cpu', '-1', 'spec.containers[0].resources.requests[cpu]', 'FieldValueInvalid', 'greater than or equal to 0'],
  ['Pod', 'spec.containers[0].resources.requests.gpu', '1', 'spec.containers[0].resources.requests[gpu]', 'FieldValueInvalid', 'standard resource'],
  ['Pod', 'spec.containers[0].volumeMounts[0].name', 'nope', 'spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "nope"'],
  ['Pod', 'spec.containers[0].volumeMounts[1]', { name: 'data', mountPath: '/data' }, 'spec.containers[0].volumeMounts[1].mountPath', 'FieldValueInvalid', 'must be unique'],
  ['Pod', 'spec.volumes[1]', { name: 'data', emptyDir: {} }, 'spec.volumes[1].name', 'FieldValueDuplicate', '"data"'],
  ['Pod', 'spec.volumes[0]', { name: 'data' }, 'spec.volumes[0]', 'FieldValueRequired', 'must specify a volume type'],
  ['Pod', 'spec.volumes[0].hostPath', { path: '/x' }, 'spec.volumes[0].hostPath', 'FieldValueForbidden', 'more than 1 volume type'],
  ['Pod', 'spec.volumes[0]', { name: 'data', configMap: { name: 'c', defaultMode: 0o1777 } }, 'spec.volumes[0].configMap.defaultMode', 'FieldValueInvalid', '0777'],
  ['Pod', 'spec.containers[0].livenessProbe', { periodSeconds: 5 }, 'spec.containers[0].livenessProbe', 'FieldValueRequired', 'must specify a handler type'],
  ['Pod', 'spec.containers[0].livenessProbe.successThreshold', 2, 'spec.containers[0].livenessProbe.successThreshold', 'FieldValueInvalid', 'must be 1'],
  ['Pod', 'spec.containers[0].livenessProbe.httpGet.port', 0, 'spec.containers[0].livenessProbe.httpGet.port', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Pod', 'spec.containers[0].livenessProbe.initialDelaySeconds', -1, 'spec.containers[0].livenessProbe.initialDelaySeconds', 'FieldValueInvalid', 'greater than or equal to 0'],
  ['Pod', 'spec.containers[0].env', [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], 'spec.containers[0].env[0].valueFrom', 'FieldValueInvalid', 'may not be specified when `value` is not empty'],
  ['Pod', 'spec.containers[0].env', [{ name: 'A', valueFrom: {} }], 'spec.containers[0].env[0].valueFrom', 'FieldValueRequired', 'must specify one of'],
  ['Pod', 'spec.containers[0].env', [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: 'bad key' } } }], 'spec.containers[0].env[0].valueFrom.configMapKeyRef.key', 'FieldValueInvalid', 'config key'],
  ['Pod', 'spec.containers[0].env', [{ name: 'A=B', value: 'x' }], 'spec.containers[0].env[0].name', 'FieldValueInvalid', "other than '='"],
  ['Pod', 'spec.containers[0].envFrom', [{}], 'spec.containers[0].envFrom[0]', 'FieldValueRequired', 'configMapRef'],
  ['Pod', 'spec.initContainers', [{ name: 'web', image: 'busybox' }], 'spec.initContainers[0].name', 'FieldValueDuplicate', '"web"'],
  ['Pod', 'spec.initContainers', [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } }], 'spec.initContainers[0].readinessProbe', 'FieldValueForbidden', 'init containers'],
  ['Pod', 'spec.nodeSelector', { 'kubernetes.io/arch': 'arm 64' }, 'spec.nodeSelector[kubernetes.io/arch]', 'FieldValueInvalid', '"arm 64"'],
  ['Pod', 'spec.nodeName', 'Pi_1', 'spec.nodeName', 'FieldValueInvalid', 'RFC 1123 subdomain'],
  ['Pod', 'spec.terminationGracePeriodSeconds', -5, 'spec.terminationGracePeriodSeconds', 'FieldValueInvalid', 'greater than or equal to 0'],
  ['Pod', 'spec.hostNetwork', 'yes', 'spec.hostNetwork', 'FieldValueTypeInvalid', 'must be a boolean'],
  ['Pod', 'spec.affinity', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'FieldValueRequired', 'at least one'],
  ['Pod', 'spec.affinity', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }] } } }, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values', 'FieldValueRequired', "'In'"],
  ['Pod', 'spec.affinity', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['x'] }] }] } } }, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]', 'FieldValueInvalid', 'must be an integer'],
  ['Pod', 'spec.affinity', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near' }] }] } } }, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator', 'FieldValueNotSupported', '"Gt", "Lt"'],
  ['Pod', 'spec.tolerations', [{ key: 'a', operator: 'Exists', value: 'b' }], 'spec.tolerations[0].operator', 'FieldValueInvalid', "'Exists'"],
  ['Pod', 'spec.tolerations', [{ operator: 'Equal', value: 'b' }], 'spec.tolerations[0].operator', 'FieldValueInvalid', 'key` is empty'],
  ['Pod', 'spec.tolerations', [{ key: 'a', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }], 'spec.tolerations[0].effect', 'FieldValueInvalid', "'NoExecute'"],
  ['Pod', 'spec.tolerations', [{ key: 'a', effect: 'Sometimes' }], 'spec.tolerations[0].effect', 'FieldValueNotSupported', '"NoExecute"'],
  ['Pod', 'spec', undefined, 'spec', 'FieldValueRequired', 'Required value'],
  ['Pod', 'metadata.ownerReferences', [{ apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true }], 'metadata.ownerReferences', 'FieldValueInvalid', 'Only one reference'],
  ['Deployment', 'spec.template.metadata.labels', { app: 'other' }, 'spec.template.metadata.labels', 'FieldValueInvalid', '`selector` does not match template `labels`'],
  ['Deployment', 'spec.selector', {}, 'spec.selector', 'FieldValueInvalid', 'empty selector'],
  ['Deployment', 'spec.selector', undefined, 'spec.selector', 'FieldValueRequired', 'Required value'],
  ['Deployment', 'spec.selector.matchExpressions', [{ key: 'app', operator: 'Exists', values: ['x'] }], 'spec.selector.matchExpressions[0].values', 'FieldValueForbidden', "'Exists'"],
  ['Deployment', 'spec.replicas', -1, 'spec.replicas', 'FieldValueInvalid', 'greater than or equal to 0'],
  ['Deployment', 'spec.replicas', 'two', 'spec.replicas', 'FieldValueTypeInvalid', 'must be an integer'],
  ['Deployment', 'spec.template.spec.restartPolicy', 'Never', 'spec.template.spec.restartPolicy', 'FieldValueNotSupported', 'supported values: "Always"'],
  ['Deployment', 'spec.template.spec.containers[0].image', '', 'spec.template.spec.containers[0].image', 'FieldValueRequired', 'Required value'],
  ['Deployment', 'spec.strategy', { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }, 'spec.strategy.rollingUpdate', 'FieldValueForbidden', "'Recreate'"],
  ['Deployment', 'spec.strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: '10', maxUnavailable: 1 } }, 'spec.strategy.rollingUpdate.maxSurge', 'FieldValueInvalid', 'percent'],
  ['Deployment', 'spec.strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }, 'spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid', 'may not be 0'],
  ['Deployment', 'spec.strategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } }, 'spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid', '100%'],
  ['Deployment', 'spec.strategy.type', 'BlueGreen', 'spec.strategy.type', 'FieldValueNotSupported', '"Recreate"'],
  ['ReplicaSet', 'spec.template', undefined, 'spec.template', 'FieldValueRequired', 'Required value'],
  ['DaemonSet', 'spec.updateStrategy', { type: 'OnDelete', rollingUpdate: { maxUnavailable: 1 } }, 'spec.updateStrategy.rollingUpdate', 'FieldValueForbidden', "'OnDelete'"],
  ['DaemonSet', 'spec.template.metadata.labels', {}, 'spec.template.metadata.labels', 'FieldValueInvalid', 'does not match'],
  ['Service', 'metadata.name', '1web', 'metadata.name', 'FieldValueInvalid', 'DNS-1035 label'],
  ['Service', 'spec.ports', [], 'spec.ports', 'FieldValueRequired', 'Required value'],
  ['Service', 'spec.ports[0].port', 0, 'spec.ports[0].port', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Service', 'spec.ports[0].targetPort', 70000, 'spec.ports[0].targetPort', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Service', 'spec.ports[0].targetPort', 1.5, 'spec.ports[0].targetPort', 'FieldValueTypeInvalid', 'integer or a string'],
  ['Service', 'spec.ports[0].nodePort', 30080, 'spec.ports[0].nodePort', 'FieldValueForbidden', "'ClusterIP'"],
  ['Service', 'spec.ports[1]', { port: 81 }, 'spec.ports[0].name', 'FieldValueRequired', 'Required value'],
  ['Service', 'spec.ports', [{ name: 'a', port: 80 }, { name: 'b', port: 80 }], 'spec.ports[1]', 'FieldValueDuplicate', '"port":80'],
  ['Service', 'spec.type', 'ExternalName', 'spec.type', 'FieldValueNotSupported', '"ClusterIP", "NodePort", "LoadBalancer"'],
  ['Service', 'spec.clusterIP', '10.0.0.300', 'spec.clusterIP', 'FieldValueInvalid', 'valid IP'],
  ['Service', 'spec.sessionAffinity', 'Sticky', 'spec.sessionAffinity', 'FieldValueNotSupported', '"ClientIP"'],
  ['Service', 'spec.selector', { 'a b': 'x' }, 'spec.selector', 'FieldValueInvalid', '"a b"'],
  ['Endpoints', 'subsets[0].addresses[0].ip', 'pi-1', 'subsets[0].addresses[0].ip', 'FieldValueInvalid', 'valid IP'],
  ['Endpoints', 'subsets[0].ports[0].port', 0, 'subsets[0].ports[0].port', 'FieldValueInvalid', 'between 1 and 65535'],
  ['Endpoints', 'subsets[0].addresses[0].ip', undefined, 'subsets[0].addresses[0].ip', 'FieldValueRequired', 'Required value'],
  ['ConfigMap', 'data', { 'bad key': 'x' }, 'data[bad key]', 'FieldValueInvalid', 'config key'],
  ['ConfigMap', 'data', { a: 1 }, 'data[a]', 'FieldValueTypeInvalid', 'must be a string'],
  ['ConfigMap', 'binaryData', { 'app.conf': 'eA==' }, 'binaryData[app.conf]', 'FieldValueInvalid', 'duplicate of key present in `data`'],
  ['ConfigMap', 'binaryData', { bin: 'not base64!' }, 'binaryData[bin]', 'FieldValueInvalid', 'base64'],
  ['ConfigMap', 'data', { big: 'x'.repeat(1024 * 1024 + 1) }, 'data', 'FieldValueTooLong', '1048576 bytes'],
  ['Secret', 'data', { token: 'secret!' }, 'data[token]', 'FieldValueInvalid', 'must be valid base64'],
  ['Secret', 'type', 'kubernetes.io/tls', 'data[tls.crt]', 'FieldValueRequired', 'Required value'],
  ['Secret', 'immutable', 'yes', 'immutable', 'FieldValueTypeInvalid', 'must be a boolean'],
  ['Event', 'type', 'Info', 'type', 'FieldValueNotSupported', '"Normal", "Warning"'],
  ['Event', 'involvedObject', undefined, 'involvedObject', 'FieldValueRequired', 'Required value'],
  ['Event', 'involvedObject.namespace', 'other', 'involvedObject.namespace', 'FieldValueInvalid', 'does not match'],
  ['ServiceAccount', 'automountServiceAccountToken', 'no', 'automountServiceAccountToken', 'FieldValueTypeInvalid', 'boolean'],
  ['Namespace', 'metadata.name', 'my.ns', 'metadata.name', 'FieldValueInvalid', 'RFC 1123 label'],
  ['Namespace', 'metadata.namespace', 'x', 'metadata.namespace', 'FieldValueForbidden', 'not allowed on this type'],
  ['Node', 'status.capacity.cpu', '4 cores', 'status.capacity[cpu]', 'FieldValueInvalid', 'quantity'],
  ['Node', 'spec.taints[0].effect', 'Never', 'spec.taints[0].effect', 'FieldValueNotSupported', '"NoSchedule"'],
  ['Node', 'spec.taints[1]', { key: 'a', effect: 'NoSchedule' }, 'spec.taints[1]', 'FieldValueDuplicate', 'a:NoSchedule'],
];

describe('validateObject: each bad field names its path', () => {
  for (const [kind, path, value, field, reason, fragment] of cases) {
    it(`${kind} ${path} = ${JSON.stringify(value)?.slice(0, 60)} → ${field}`, () => {
      const errors = validateObject(rt(kind), withChange(kind, path, value));
      const hit = errors.find((e) => e.field === field && e.reason === reason);
      expect(hit, JSON.stringify(errors, null, 1)).toBeDefined();
      expect(hit!.message).toContain(fragment);
    });
  }
});

describe('validateObject: general behaviour', () => {
  it('uses Kubernetes wording for invalid names', () => {
    const [e] = validateObject(rt('Pod'), withChange('Pod', 'metadata.name', 'Foo_bar'));
    expect(e!.message).toMatch(/^Invalid value: "Foo_bar": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '\.', and must start and end with an alphanumeric character/);
  });

  it('reports one error per missing field, not a type error too', () => {
    const errors = validateObject(rt('Pod'), withChange('Pod', 'spec.containers[0].image', undefined));
    expect(errors.filter((e) => e.field === 'spec.containers[0].image')).toHaveLength(1);
  });

  it('is deterministic', () => {
    const bad = withChange('Deployment', 'spec.template.spec.containers[0]', { name: 'X', ports: [{ containerPort: 0 }] });
    expect(validateObject(rt('Deployment'), bad)).toEqual(validateObject(rt('Deployment'), structuredClone(bad)));
  });

  it('does not report unknown fields (findUnknownFields does)', () => {
    expect(validateObject(rt('Pod'), withChange('Pod', 'spec.containers[0].imagee', 'x'))).toEqual([]);
  });

  it('treats null as absent, as Kubernetes does', () => {
    const o = withChange('Deployment', 'spec.template.metadata.creationTimestamp', null);
    o.status = {};
    (o.spec as Record<string, unknown>).strategy = null;
    expect(validateObject(rt('Deployment'), o)).toEqual([]);
  });

  it('accepts generateName without name and checks it', () => {
    const o = withChange('Pod', 'metadata.name', undefined);
    o.metadata.generateName = 'web-';
    expect(validateObject(rt('Pod'), o)).toEqual([]);
    o.metadata.generateName = 'Web_';
    expect(validateObject(rt('Pod'), o)[0]!.field).toBe('metadata.generateName');
  });

  it('accepts numeric quantities, as YAML gives them', () => {
    expect(validateObject(rt('Pod'), withChange('Pod', 'spec.containers[0].resources.limits.cpu', 2))).toEqual([]);
  });

  it('accepts a headless service without ports', () => {
    const o = withChange('Service', 'spec.ports', undefined);
    (o.spec as Record<string, unknown>).clusterIP = 'None';
    expect(validateObject(rt('Service'), o)).toEqual([]);
  });

  it('never echoes secret data in errors', () => {
    const errors = validateObject(rt('Secret'), withChange('Secret', 'data', { token: 'hunter2!' }));
    expect(JSON.stringify(errors)).not.toContain('hunter2');
  });

  it('requires progressDeadlineSeconds above minReadySeconds', () => {
    const o = withChange('Deployment', 'spec.progressDeadlineSeconds', 5);
    (o.spec as Record<string, unknown>).minReadySeconds = 10;
    expect(validateObject(rt('Deployment'), o)).toMatchObject([{ field: 'spec.progressDeadlineSeconds', reason: 'FieldValueInvalid' }]);
  });

  it('rejects a non-object', () => {
    expect(validateObject(rt('Pod'), 'pod')[0]!.reason).toBe('FieldValueTypeInvalid');
  });

  it('accepts the pod status the agent reports', () => {
    const o = valid.Pod!();
    o.status = {
      phase: 'Running', hostIP: '192.168.1.20', podIP: '192.168.1.20', podIPs: [{ ip: '192.168.1.20' }], startTime: '2024-05-01T10:00:00Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T10:00:01Z' }],
      containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'nginx:1.25', containerID: 'docker://abc', state: { running: { startedAt: '2024-05-01T10:00:00Z' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
    };
    expect(validateObject(rt('Pod'), o)).toEqual([]);
    (o.status as Record<string, unknown>).phase = 'Sleeping';
    expect(validateObject(rt('Pod'), o)[0]!.field).toBe('status.phase');
  });
});

describe('validateName / validateNamespaceName', () => {
  it('follows each kind\'s format', () => {
    expect(validateName(rt('Pod'), 'web.v1')).toBeUndefined();
    expect(validateName(rt('Namespace'), 'web.v1')).toContain('RFC 1123 label');
    expect(validateName(rt('Service'), '9web')).toContain('DNS-1035');
    expect(validateName(rt('Pod'), '')).toBeDefined();
    expect(validateNamespaceName('kube-system')).toBeUndefined();
    expect(validateNamespaceName('Kube')).toBeDefined();
    expect(validateNamespaceName('a'.repeat(64))).toContain('63');
  });
});
