// Small builders shared by the api tests: valid objects of each kind, and a path setter.
import { resourceByKind } from '../../src/api/registry.js';
import type { ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';

export function rt(kind: string): ResourceType {
  const apiVersion = ['Deployment', 'ReplicaSet', 'DaemonSet'].includes(kind) ? 'apps/v1' : 'v1';
  return resourceByKind(apiVersion, kind)!;
}

const podSpec = () => ({
  containers: [{
    name: 'web',
    image: 'nginx:1.25',
    ports: [{ name: 'http', containerPort: 80 }],
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
    livenessProbe: { httpGet: { path: '/', port: 'http' } },
  }],
  volumes: [{ name: 'data', emptyDir: {} }],
});

const template = () => ({ metadata: { labels: { app: 'web' } }, spec: podSpec() });

export const valid: Record<string, () => KObject> = {
  Pod: () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } }, spec: podSpec() }),
  Deployment: () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template() } }),
  ReplicaSet: () => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template() } }),
  DaemonSet: () => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } }),
  Service: () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } }),
  Endpoints: () => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '192.168.1.20', nodeName: 'pi-1' }], ports: [{ port: 8080 }] }] }),
  ConfigMap: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'app.conf': 'x=1' } }),
  Secret: () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { token: 'c2VjcmV0' } }),
  Event: () => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-1.17a', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' }, reason: 'Scheduled', message: 'assigned', type: 'Normal', count: 1 }),
  ServiceAccount: () => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' }, automountServiceAccountToken: true }),
  Namespace: () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }),
  Node: () => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '4', memory: '4Gi' } } }),
};

/** Set (or, with `undefined`, delete) the value at a path like `spec.containers[0].image`. */
export function setPath(obj: unknown, path: string, value: unknown): void {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let cur = obj as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === undefined) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) Reflect.deleteProperty(cur, last);
  else cur[last] = value;
}

export function withChange(kind: string, path: string, value: unknown): KObject {
  const o = valid[kind]!();
  setPath(o, path, value);
  return o;
}
