import { describe, expect, it } from 'vitest';
import { decide, nodesToFind, unschedulableMessage } from '../../src/scheduler/decide.js';
import { buildNodeInfos } from '../../src/scheduler/node-info.js';
import { ctx, info, node, pod } from './fixtures.js';

describe('decide', () => {
  it('counts nodes per reason in Kubernetes\' words', () => {
    const nodes = [
      node('a', { memory: '256Mi' }), node('b', { memory: '256Mi' }), node('c', { memory: '256Mi' }),
      node('d', { labels: { 'kubernetes.io/arch': 'amd64' } }), node('e', { labels: { 'kubernetes.io/arch': 'amd64' } }),
    ];
    const d = decide(info(pod('p', { memory: '1Gi', nodeSelector: { 'kubernetes.io/arch': 'arm64' } })), buildNodeInfos(nodes, []), ctx());
    expect(d.fit).toBe(false);
    if (d.fit) return;
    expect(unschedulableMessage(d.total, d.reasons)).toBe("0/5 nodes are available: 3 Insufficient memory, 2 node(s) didn't match node selector.");
  });

  it('a node short of two resources counts under both', () => {
    const d = decide(info(pod('p', { cpu: '8', memory: '8Gi' })), buildNodeInfos([node('a'), node('b', { ready: 'False' })], []), ctx());
    expect(d.fit).toBe(false);
    if (!d.fit) expect(unschedulableMessage(d.total, d.reasons)).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were not ready.');
  });

  it('no nodes at all', () => {
    expect(unschedulableMessage(0, new Map())).toBe('no nodes available to schedule pods');
  });

  it('spread puts a pod on the emptier node, binpack on the fuller one', () => {
    const nodes = [node('empty'), node('busy')];
    const placed = [pod('x', { nodeName: 'busy', cpu: '2', memory: '2Gi' })];
    const p = info(pod('p', { cpu: '500m', memory: '512Mi' }));
    const only = { weights: { NodeResourcesBalancedAllocation: 0, LiveUsage: 0 } };
    expect(decide(p, buildNodeInfos(nodes, placed), ctx({ scoring: 'spread', ...only }))).toMatchObject({ fit: true, node: 'empty' });
    expect(decide(p, buildNodeInfos(nodes, placed), ctx({ scoring: 'binpack', ...only }))).toMatchObject({ fit: true, node: 'busy' });
  });

  it('live usage steers away from a hot, busy Pi whose requests look free', () => {
    const ts = '2026-01-01T00:09:55Z';
    const nodes = [node('hot', { usage: { cpuPercent: 92, temperatureCelsius: 79, throttled: true, timestamp: ts } }), node('cool', { usage: { cpuPercent: 10, timestamp: ts } })];
    expect(decide(info(pod('p')), buildNodeInfos(nodes, []), ctx())).toMatchObject({ fit: true, node: 'cool' });
  });

  it('replicas of one owner spread over nodes', () => {
    const nodes = [node('a'), node('b')];
    const placed = [pod('r1', { nodeName: 'a', owner: 'rs' })];
    expect(decide(info(pod('r2', { owner: 'rs' })), buildNodeInfos(nodes, placed), ctx())).toMatchObject({ fit: true, node: 'b' });
  });

  it('a nominated node is taken first when the pod fits there', () => {
    const p = pod('p');
    p.status = { phase: 'Pending', nominatedNodeName: 'b' };
    expect(decide(info(p), buildNodeInfos([node('a'), node('b', { memory: '1Gi' })], []), ctx())).toMatchObject({ fit: true, node: 'b' });
  });

  it('room kept for a higher-priority nominated pod is not taken by a lower one', () => {
    const nominee = pod('vip', { memory: '3Gi', priority: 100 });
    nominee.status = { phase: 'Pending', nominatedNodeName: 'a' };
    const d = decide(info(pod('low', { memory: '2Gi', priority: 0 })), buildNodeInfos([node('a')], []), ctx(), { nominated: [info(nominee)] });
    expect(d.fit).toBe(false);
    const d2 = decide(info(pod('higher', { memory: '2Gi', priority: 200 })), buildNodeInfos([node('a')], []), ctx(), { nominated: [info(nominee)] });
    expect(d2).toMatchObject({ fit: true, node: 'a' });
  });

  it('stops filtering once enough feasible nodes are found', () => {
    const nodes = buildNodeInfos(Array.from({ length: 10 }, (_, i) => node(`n${i}`)), []);
    expect(decide(info(pod('p')), nodes, ctx(), { enough: 3 })).toMatchObject({ fit: true, feasible: 3, evaluated: 3 });
  });

  it('nodesToFind: all of a small cluster, an adaptive share of a large one', () => {
    expect(nodesToFind(50, 0)).toBe(50);
    expect(nodesToFind(1000, 0)).toBe(420);
    expect(nodesToFind(10000, 0)).toBe(500);
    expect(nodesToFind(1000, 100)).toBe(1000);
  });
});
