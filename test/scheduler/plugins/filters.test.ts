import { describe, expect, it } from 'vitest';
import { hostPorts } from '../../../src/scheduler/plugins/host-ports.js';
import { nodeReady, nodeUnschedulable } from '../../../src/scheduler/plugins/node-status.js';
import { resourcesFit } from '../../../src/scheduler/plugins/resources-fit.js';
import { toleratesTaint } from '../../../src/api/tolerations.js';
import { taintToleration } from '../../../src/scheduler/plugins/taints.js';
import type { FilterPlugin } from '../../../src/scheduler/types.js';
import { ctx, info, node, nodeInfo, pod, type NodeOpts, type PodOpts } from '../fixtures.js';

interface Row {
  name: string;
  node?: NodeOpts;
  placed?: PodOpts[];
  pod?: PodOpts;
  reasons: string[];
}

function run(plugin: FilterPlugin, rows: Row[]): void {
  it.each(rows)('$name', (r) => {
    const placed = (r.placed ?? []).map((o, i) => pod(`placed-${i}`, { nodeName: 'n1', ...o }));
    const res = plugin.filter(info(pod('p', r.pod ?? {})), nodeInfo(node('n1', r.node ?? {}), placed), ctx());
    expect(res.ok ? [] : res.reasons).toEqual(r.reasons);
  });
}

describe('NodeReady', () => run(nodeReady, [
  { name: 'Ready=True passes', reasons: [] },
  { name: 'Ready=False fails', node: { ready: 'False' }, reasons: ['node(s) were not ready'] },
  { name: 'Ready=Unknown fails', node: { ready: 'Unknown' }, reasons: ['node(s) were not ready'] },
  { name: 'no Ready condition fails', node: { ready: 'missing' }, reasons: ['node(s) were not ready'] },
  { name: 'a toleration does not help', node: { ready: 'False' }, pod: { tolerations: [{ operator: 'Exists' }] }, reasons: ['node(s) were not ready'] },
]));

describe('NodeUnschedulable', () => run(nodeUnschedulable, [
  { name: 'schedulable passes', reasons: [] },
  { name: 'unschedulable: false passes', node: { unschedulable: false }, reasons: [] },
  { name: 'cordoned fails', node: { unschedulable: true }, reasons: ['node(s) were unschedulable'] },
  { name: 'cordoned but tolerated (DaemonSet pods)', node: { unschedulable: true }, pod: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }, reasons: [] },
]));

describe('NodeResourcesFit', () => run(resourcesFit, [
  { name: 'fits on an empty node', pod: { cpu: '1', memory: '1Gi' }, reasons: [] },
  { name: 'exactly fills the node', node: { cpu: '2', memory: '1Gi' }, pod: { cpu: '2', memory: '1Gi' }, reasons: [] },
  { name: 'cpu short', node: { cpu: '1' }, pod: { cpu: '1500m' }, reasons: ['Insufficient cpu'] },
  { name: 'memory short after placed pods', node: { memory: '1Gi' }, placed: [{ memory: '768Mi' }], pod: { memory: '512Mi' }, reasons: ['Insufficient memory'] },
  { name: 'both short: two reasons', node: { cpu: '1', memory: '1Gi' }, pod: { cpu: '2', memory: '2Gi' }, reasons: ['Insufficient cpu', 'Insufficient memory'] },
  { name: 'finished pods free their room', node: { memory: '1Gi' }, placed: [{ memory: '1Gi', phase: 'Succeeded' }, { memory: '1Gi', phase: 'Failed' }], pod: { memory: '1Gi' }, reasons: [] },
  { name: 'terminating pods still hold room', node: { memory: '1Gi' }, placed: [{ memory: '1Gi', deleting: true }], pod: { memory: '1Gi' }, reasons: ['Insufficient memory'] },
  { name: 'pod slots full', node: { pods: 2 }, placed: [{}, {}], pod: {}, reasons: ['Too many pods'] },
  { name: 'a pod without requests fits anywhere with a slot', node: { cpu: '100m', memory: '16Mi' }, placed: [{ cpu: '100m', memory: '16Mi' }], reasons: [] },
  { name: 'gpio present', node: { extra: { 'bramble.dev/gpio': '1' } }, pod: { extra: { 'bramble.dev/gpio': '1' } }, reasons: [] },
  { name: 'gpio absent', pod: { extra: { 'bramble.dev/gpio': '1' } }, reasons: ['Insufficient bramble.dev/gpio'] },
  { name: 'camera taken by another pod', node: { extra: { 'bramble.dev/camera': '1' } }, placed: [{ extra: { 'bramble.dev/camera': '1' } }], pod: { extra: { 'bramble.dev/camera': '1' } }, reasons: ['Insufficient bramble.dev/camera'] },
  { name: 'init container larger than the app containers counts', node: { cpu: '1' }, pod: { cpu: '500m', initCpu: '1500m' }, reasons: ['Insufficient cpu'] },
  { name: 'init container smaller than the app containers does not add', node: { cpu: '1' }, pod: { cpu: '1', initCpu: '500m' }, reasons: [] },
]));

const taint = (key: string, effect: 'NoSchedule' | 'NoExecute' | 'PreferNoSchedule', value?: string) => ({ key, effect, ...(value !== undefined ? { value } : {}) });

describe('TaintToleration (filter)', () => run(taintToleration, [
  { name: 'no taints', reasons: [] },
  { name: 'NoSchedule untolerated', node: { taints: [taint('dedicated', 'NoSchedule', 'cam')] }, reasons: ['node(s) had untolerated taint {dedicated: cam}'] },
  { name: 'NoExecute untolerated', node: { taints: [taint('node.kubernetes.io/unreachable', 'NoExecute')] }, reasons: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'] },
  { name: 'PreferNoSchedule never filters', node: { taints: [taint('soft', 'PreferNoSchedule')] }, reasons: [] },
  { name: 'Equal toleration', node: { taints: [taint('dedicated', 'NoSchedule', 'cam')] }, pod: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cam', effect: 'NoSchedule' }] }, reasons: [] },
  { name: 'Equal with another value', node: { taints: [taint('dedicated', 'NoSchedule', 'cam')] }, pod: { tolerations: [{ key: 'dedicated', value: 'gpu' }] }, reasons: ['node(s) had untolerated taint {dedicated: cam}'] },
  { name: 'Exists on the key', node: { taints: [taint('dedicated', 'NoSchedule', 'cam')] }, pod: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }, reasons: [] },
  { name: 'wrong effect', node: { taints: [taint('dedicated', 'NoExecute')] }, pod: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] }, reasons: ['node(s) had untolerated taint {dedicated: }'] },
  { name: 'empty key with Exists tolerates everything', node: { taints: [taint('a', 'NoSchedule'), taint('b', 'NoExecute')] }, pod: { tolerations: [{ operator: 'Exists' }] }, reasons: [] },
  { name: 'one of two tolerated', node: { taints: [taint('a', 'NoSchedule'), taint('b', 'NoSchedule')] }, pod: { tolerations: [{ key: 'a', operator: 'Exists' }] }, reasons: ['node(s) had untolerated taint {b: }'] },
]));

describe('toleratesTaint', () => {
  it('an empty key without Exists tolerates nothing', () => {
    expect(toleratesTaint({ key: '' }, { key: 'a', effect: 'NoSchedule' })).toBe(false);
  });
  it('an empty effect matches every effect', () => {
    expect(toleratesTaint({ key: 'a', operator: 'Exists', effect: '' }, { key: 'a', effect: 'NoExecute' })).toBe(true);
  });
});

describe('NodePorts', () => run(hostPorts, [
  { name: 'no host ports', placed: [{ hostPorts: [{ port: 80 }] }], reasons: [] },
  { name: 'free port', placed: [{ hostPorts: [{ port: 80 }] }], pod: { hostPorts: [{ port: 8080 }] }, reasons: [] },
  { name: 'same port and protocol', placed: [{ hostPorts: [{ port: 80 }] }], pod: { hostPorts: [{ port: 80 }] }, reasons: ["node(s) didn't have free ports for the requested pod ports"] },
  { name: 'same port, other protocol', placed: [{ hostPorts: [{ port: 53, protocol: 'UDP' }] }], pod: { hostPorts: [{ port: 53, protocol: 'TCP' }] }, reasons: [] },
  { name: 'different host IPs', placed: [{ hostPorts: [{ port: 80, hostIP: '10.0.0.1' }] }], pod: { hostPorts: [{ port: 80, hostIP: '10.0.0.2' }] }, reasons: [] },
  { name: '0.0.0.0 collides with a specific IP', placed: [{ hostPorts: [{ port: 80, hostIP: '10.0.0.1' }] }], pod: { hostPorts: [{ port: 80 }] }, reasons: ["node(s) didn't have free ports for the requested pod ports"] },
  { name: 'a finished pod frees its port', placed: [{ hostPorts: [{ port: 80 }], phase: 'Succeeded' }], pod: { hostPorts: [{ port: 80 }] }, reasons: [] },
]));
