import { describe, expect, it } from 'vitest';
import { resourceByName } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { asDocument, tableHeader, tableRow } from '../../src/cli/output/printer.js';
import { renderTable } from '../../src/cli/output/table.js';
import { objectRef, qualifiedKind } from '../../src/cli/output/names.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const rt = (n: string) => resourceByName(n)!;
const meta = (name: string, extra: Partial<KObject['metadata']> = {}) => ({ name, namespace: 'default', creationTimestamp: '2024-05-01T11:59:15Z', ...extra });

const runningPod: KObject = {
  apiVersion: 'v1', kind: 'Pod', metadata: meta('web-1', { labels: { app: 'web' } }),
  spec: { nodeName: 'pi-1', containers: [{ name: 'a' }, { name: 'b' }] },
  status: { phase: 'Running', podIP: '10.0.0.7', containerStatuses: [{ name: 'a', ready: true, restartCount: 1, state: { running: {} } }, { name: 'b', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
};

function lines(kind: string, objs: KObject[], opts: Parameters<typeof tableRow>[2] = {}): string[] {
  const o = { now, ...opts };
  return renderTable([tableHeader(rt(kind), o), ...objs.map((x) => tableRow(rt(kind), x, o))]);
}

describe('tables', () => {
  it('aligns columns with three spaces and no trailing blanks', () => {
    expect(renderTable([['NAME', 'AGE'], ['a-long-name', '5s'], ['b', '']])).toEqual(['NAME          AGE', 'a-long-name   5s', 'b']);
  });

  it('prints pods with READY, STATUS from container states, RESTARTS and AGE; IP and NODE when wide', () => {
    expect(lines('pods', [runningPod])).toEqual([
      'NAME    READY   STATUS             RESTARTS   AGE',
      'web-1   1/2     CrashLoopBackOff   3          45s',
    ]);
    expect(lines('pods', [runningPod], { wide: true, withNamespace: true, showLabels: true })[1]).toBe('default     web-1   1/2     CrashLoopBackOff   3          45s   10.0.0.7   pi-1   app=web');
    const pending: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: meta('p'), spec: { containers: [{ name: 'a' }] } };
    expect(lines('pods', [pending], { wide: true })[1]).toBe('p      0/1     Pending   0          45s   <none>   <none>');
    const leaving: KObject = { ...pending, metadata: meta('p', { deletionTimestamp: '2024-05-01T12:00:00Z' }) };
    expect(tableRow(rt('pods'), leaving, { now })[2]).toBe('Terminating');
  });

  it('prints nodes with readiness, roles, version; wide adds address, OS and arch', () => {
    const node: KObject = {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1', creationTimestamp: '2024-04-29T12:00:00Z', labels: { 'node-role.kubernetes.io/edge': '' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.168.1.20' }], nodeInfo: { kubeletVersion: 'v0.1.0', osImage: 'Debian 12', architecture: 'arm64' } },
    };
    expect(lines('nodes', [node], { wide: true, withNamespace: true })).toEqual([
      'NAME   STATUS                     ROLES   AGE   VERSION   INTERNAL-IP    OS-IMAGE    ARCH',
      'pi-1   Ready,SchedulingDisabled   edge    2d    v0.1.0    192.168.1.20   Debian 12   arm64',
    ]);
  });

  it('prints deployments, replicasets, services, configmaps, secrets, events, namespaces', () => {
    const dep: KObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    expect(lines('deploy', [dep])[1]).toBe('web    2/3     3            2           45s');
    const rs: KObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('web-abc'), spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 1 } };
    expect(lines('rs', [rs])).toEqual(['NAME      DESIRED   CURRENT   READY   AGE', 'web-abc   3         3         1       45s']);
    const svc: KObject = { apiVersion: 'v1', kind: 'Service', metadata: meta('s'), spec: { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }, { port: 53, protocol: 'UDP' }] } };
    expect(lines('svc', [svc])).toEqual(['NAME   TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)               AGE', 's      NodePort   10.96.0.10   <none>        80:30080/TCP,53/UDP   45s']);
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c'), data: { a: '1', b: '2' } };
    expect(lines('cm', [cm])[1]).toBe('c      2      45s');
    const secret: KObject = { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), type: 'Opaque', data: { a: 'MQ==' } };
    expect(lines('secrets', [secret])).toEqual(['NAME   TYPE     DATA   AGE', 's      Opaque   1      45s']);
    const ev: KObject = { apiVersion: 'v1', kind: 'Event', metadata: meta('e'), type: 'Warning', reason: 'FailedScheduling', involvedObject: { kind: 'Pod', name: 'web-1' }, message: '0/3 nodes are available', lastTimestamp: '2024-05-01T11:55:00Z' };
    expect(lines('events', [ev])).toEqual(['LAST SEEN   TYPE      REASON             OBJECT      MESSAGE', '5m          Warning   FailedScheduling   pod/web-1   0/3 nodes are available']);
    const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', creationTimestamp: '2024-05-01T11:59:15Z' }, status: { phase: 'Active' } };
    expect(lines('ns', [ns], { withNamespace: true })).toEqual(['NAME   STATUS   AGE', 'prod   Active   45s']);
    const ep: KObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('s'), subsets: [{ addresses: [{ ip: '1.1.1.1' }, { ip: '1.1.1.2' }, { ip: '1.1.1.3' }, { ip: '1.1.1.4' }], ports: [{ port: 80 }] }] };
    expect(lines('ep', [ep])[1]).toBe('s      1.1.1.1:80,1.1.1.2:80,1.1.1.3:80 + 1 more...   45s');
  });

  it('names objects like kubectl and wraps several in a List', () => {
    expect(qualifiedKind(rt('deploy'))).toBe('deployment.apps');
    expect(objectRef(rt('po'), 'x')).toBe('pod/x');
    expect(tableRow(rt('deploy'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web') }, { now, kindPrefix: true })[0]).toBe('deployment.apps/web');
    expect(asDocument([runningPod], true)).toBe(runningPod);
    expect(asDocument([runningPod], false)).toEqual({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [runningPod] });
  });
});
