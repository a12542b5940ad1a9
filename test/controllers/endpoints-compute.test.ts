// The endpoints decision: ready/not-ready split, host ports, named target ports, node readiness.
import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { addressTypeAnnotation, computeSubsets, decideEndpoints, hostPortFor, type NodeLookup } from '../../src/controllers/endpoints-compute.js';

function service(spec: Record<string, unknown> = {}, name = 'web'): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: 'svc-uid', labels: { team: 'a' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec } };
}

interface PodOpts { ready?: boolean; node?: string; hostIP?: string; hostPort?: number; labels?: Record<string, string>; phase?: string; deleting?: boolean; namespace?: string }

function pod(name: string, o: PodOpts = {}): KObject {
  const node = o.node ?? 'pi-1';
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, labels: o.labels ?? { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: node, containers: [{ name: 'httpd', image: 'busybox', ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }] },
    status: {
      phase: o.phase ?? 'Running',
      hostIP: o.hostIP ?? '10.0.0.1',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      portMappings: [{ containerName: 'httpd', name: 'web', containerPort: 8080, protocol: 'TCP', hostIP: o.hostIP ?? '10.0.0.1', hostPort: o.hostPort ?? 31000 }],
    },
  };
}

function node(name: string, ready = 'True'): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready }] } };
}

const nodeMap = new Map([['pi-1', node('pi-1')], ['pi-2', node('pi-2')], ['pi-3', node('pi-3', 'Unknown')]]);
const nodes: NodeLookup = (name) => nodeMap.get(name);
const addr = (name: string, ip: string, nodeName = 'pi-1'): Record<string, unknown> => ({ ip, nodeName, targetRef: { kind: 'Pod', name, namespace: 'default', uid: `uid-${name}` } });

describe('computeSubsets', () => {
  const cases: { name: string; svc?: KObject; pods: KObject[]; want: unknown[] }[] = [
    {
      name: 'ready and not-ready pods on the same host port: one subset, split',
      pods: [pod('b', { hostIP: '10.0.0.2', node: 'pi-2' }), pod('a'), pod('c', { ready: false, hostIP: '10.0.0.2', node: 'pi-2' })],
      want: [{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], addresses: [addr('a', '10.0.0.1'), addr('b', '10.0.0.2', 'pi-2')], notReadyAddresses: [addr('c', '10.0.0.2', 'pi-2')] }],
    },
    {
      name: 'different host ports: different subsets',
      pods: [pod('a'), pod('b', { hostPort: 31001 })],
      want: [
        { ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], addresses: [addr('a', '10.0.0.1')] },
        { ports: [{ name: 'http', port: 31001, protocol: 'TCP' }], addresses: [addr('b', '10.0.0.1')] },
      ],
    },
    {
      name: 'a pod on a node that is not Ready is not ready',
      pods: [pod('a', { node: 'pi-3', hostIP: '10.0.0.3' })],
      want: [{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], notReadyAddresses: [addr('a', '10.0.0.3', 'pi-3')] }],
    },
    {
      name: 'a pod on a node the cache does not know is not ready',
      pods: [pod('a', { node: 'ghost' })],
      want: [{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], notReadyAddresses: [addr('a', '10.0.0.1', 'ghost')] }],
    },
    {
      name: 'publishNotReadyAddresses lists every pod as ready',
      svc: service({ publishNotReadyAddresses: true }),
      pods: [pod('a', { ready: false })],
      want: [{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], addresses: [addr('a', '10.0.0.1')] }],
    },
    {
      name: 'deleting, finished and unplaced pods are left out',
      pods: [pod('a', { deleting: true }), pod('b', { phase: 'Succeeded' }), pod('c', { phase: 'Failed' }), pod('d', { hostIP: '' })],
      want: [],
    },
    {
      name: 'a named targetPort is found through the container port name',
      svc: service({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] }),
      pods: [pod('a')],
      want: [{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], addresses: [addr('a', '10.0.0.1')] }],
    },
    {
      name: 'a port the pod does not publish (or another protocol) is left out',
      svc: service({ ports: [{ name: 'http', port: 80, targetPort: 9999 }, { name: 'dns', port: 53, targetPort: 8080, protocol: 'UDP' }] }),
      pods: [pod('a')],
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(computeSubsets(c.svc ?? service(), c.pods, nodes)).toEqual(c.want);
    });
  }

  it('hostPortFor: numeric, named, missing', () => {
    const p = pod('a', { hostPort: 32000 });
    expect(hostPortFor(p, { port: 80, targetPort: 8080 })).toBe(32000);
    expect(hostPortFor(p, { port: 80, targetPort: 'web' })).toBe(32000);
    expect(hostPortFor(p, { port: 8080 })).toBe(32000);
    expect(hostPortFor(p, { port: 80, targetPort: 'nope' })).toBeUndefined();
    expect(hostPortFor(p, { port: 80, targetPort: 8080, protocol: 'UDP' })).toBeUndefined();
  });
});

describe('decideEndpoints', () => {
  it('leaves Services without a selector alone (their Endpoints are the user\'s)', () => {
    expect(decideEndpoints(service({ selector: undefined }), [pod('a')], nodes, undefined)).toEqual({ type: 'none' });
    expect(decideEndpoints(service({ selector: {} }), [pod('a')], nodes, undefined)).toEqual({ type: 'none' });
  });

  it('creates Endpoints named after the Service, marked as hostIP:hostPort, with its labels', () => {
    const a = decideEndpoints(service(), [pod('a'), pod('other', { labels: { app: 'db' } }), pod('elsewhere', { namespace: 'other' })], nodes, undefined);
    expect(a.type).toBe('create');
    if (a.type !== 'create') return;
    expect(a.endpoints.metadata).toEqual({ name: 'web', namespace: 'default', labels: { team: 'a' }, annotations: { [addressTypeAnnotation]: 'hostIP:hostPort' } });
    expect(a.endpoints.subsets).toEqual([{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], addresses: [addr('a', '10.0.0.1')] }]);
  });

  it('reads pods from an iterable once (a live view of the cache), and nodes only by name', () => {
    const cache = new Map([['default/a', pod('a')], ['default/b', pod('b', { node: 'pi-3', hostIP: '10.0.0.3' })]]);
    const asked: string[] = [];
    const a = decideEndpoints(service(), cache.values(), (name) => { asked.push(name); return nodeMap.get(name); }, undefined);
    if (a.type !== 'create') throw new Error('expected create');
    expect(a.endpoints.subsets).toEqual([{
      ports: [{ name: 'http', port: 31000, protocol: 'TCP' }],
      addresses: [addr('a', '10.0.0.1')], notReadyAddresses: [addr('b', '10.0.0.3', 'pi-3')],
    }]);
    expect(asked.sort()).toEqual(['pi-1', 'pi-3']);
  });

  it('writes nothing when the content is unchanged, and updates when a pod turns not ready', () => {
    const first = decideEndpoints(service(), [pod('a')], nodes, undefined);
    if (first.type !== 'create') throw new Error('expected create');
    const stored = { ...first.endpoints, metadata: { ...first.endpoints.metadata, uid: 'ep', resourceVersion: '7' } };
    expect(decideEndpoints(service(), [pod('a')], nodes, stored)).toEqual({ type: 'none' });
    const next = decideEndpoints(service(), [pod('a', { ready: false })], nodes, stored);
    expect(next.type).toBe('update');
    if (next.type !== 'update') return;
    expect(next.endpoints.metadata.resourceVersion).toBe('7');
    expect(next.endpoints.subsets).toEqual([{ ports: [{ name: 'http', port: 31000, protocol: 'TCP' }], notReadyAddresses: [addr('a', '10.0.0.1')] }]);
  });
});
