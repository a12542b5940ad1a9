import { describe, expect, it } from 'vitest';
import { decide } from '../../src/scheduler/decide.js';
import { buildNodeInfos } from '../../src/scheduler/node-info.js';
import { findPreemption } from '../../src/scheduler/preemption.js';
import type { Node, Pod } from '../../src/api/schemas.js';
import { ctx, info, node, pod } from './fixtures.js';

function preemptionFor(p: Pod, nodes: Node[], placed: Pod[]) {
  const nis = buildNodeInfos(nodes, placed);
  const d = decide(info(p), nis, ctx());
  if (d.fit) throw new Error(`fits on ${d.node}`);
  const r = findPreemption(info(p), nis, d.failures, ctx());
  return r && { node: r.node, victims: r.victims.map((v) => v.pod.metadata.name).sort() };
}

describe('preemption', () => {
  it('evicts the fewest lowest-priority pods that make room', () => {
    const placed = [
      pod('low-1', { nodeName: 'a', memory: '1Gi', priority: 1 }),
      pod('low-2', { nodeName: 'a', memory: '1Gi', priority: 2 }),
      pod('low-3', { nodeName: 'a', memory: '2Gi', priority: 3 }),
    ];
    expect(preemptionFor(pod('vip', { memory: '2Gi', priority: 10 }), [node('a')], placed)).toEqual({ node: 'a', victims: ['low-1', 'low-2'] });
  });

  it('never evicts pods of equal or higher priority', () => {
    const placed = [pod('peer', { nodeName: 'a', memory: '4Gi', priority: 10 })];
    expect(preemptionFor(pod('p', { memory: '1Gi', priority: 10 }), [node('a')], placed)).toBeUndefined();
  });

  it('prefers the node whose victims matter least', () => {
    const placed = [
      pod('mid', { nodeName: 'a', memory: '4Gi', priority: 5 }),
      pod('low', { nodeName: 'b', memory: '4Gi', priority: 1 }),
    ];
    expect(preemptionFor(pod('vip', { memory: '1Gi', priority: 10 }), [node('a'), node('b')], placed)).toEqual({ node: 'b', victims: ['low'] });
  });

  it('then the node with the fewest victims', () => {
    const placed = [
      pod('a1', { nodeName: 'a', memory: '2Gi', priority: 1 }), pod('a2', { nodeName: 'a', memory: '2Gi', priority: 1 }),
      pod('b1', { nodeName: 'b', memory: '4Gi', priority: 1 }),
    ];
    expect(preemptionFor(pod('vip', { memory: '4Gi', priority: 10 }), [node('a'), node('b')], placed)).toEqual({ node: 'b', victims: ['b1'] });
  });

  it('does not preempt where eviction cannot help (selector, taint, not ready)', () => {
    const placed = [pod('low', { nodeName: 'a', memory: '4Gi', priority: 0 })];
    expect(preemptionFor(pod('vip', { memory: '1Gi', priority: 10, nodeSelector: { zone: 'x' } }), [node('a')], placed)).toBeUndefined();
    expect(preemptionFor(pod('vip', { memory: '1Gi', priority: 10 }), [node('a', { ready: 'False' })], placed)).toBeUndefined();
  });

  it('frees a host port', () => {
    const placed = [pod('low', { nodeName: 'a', hostPorts: [{ port: 80 }], priority: 0 })];
    expect(preemptionFor(pod('vip', { hostPorts: [{ port: 80 }], priority: 10 }), [node('a')], placed)).toEqual({ node: 'a', victims: ['low'] });
  });

  it('pods already terminating are not victims again', () => {
    const placed = [pod('going', { nodeName: 'a', memory: '4Gi', priority: 0, deleting: true })];
    expect(preemptionFor(pod('vip', { memory: '1Gi', priority: 10 }), [node('a')], placed)).toBeUndefined();
  });

  it('not enough even after evicting everything lower: no preemption', () => {
    const placed = [pod('low', { nodeName: 'a', memory: '1Gi', priority: 0 })];
    expect(preemptionFor(pod('vip', { memory: '8Gi', priority: 10 }), [node('a')], placed)).toBeUndefined();
  });
});
