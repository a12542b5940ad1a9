import { describe, expect, it } from 'vitest';
import { liveUsage, unknownUsageScore } from '../../../src/scheduler/plugins/live-usage.js';
import { ownerSpread } from '../../../src/scheduler/plugins/owner-spread.js';
import { allocationScore, balancedAllocation } from '../../../src/scheduler/plugins/resource-scores.js';
import { taintPreference } from '../../../src/scheduler/plugins/taints.js';
import type { ScorePlugin } from '../../../src/scheduler/types.js';
import { ctx, info, node, nodeInfo, now, pod, type NodeOpts, type PodOpts } from '../fixtures.js';

function scores(plugin: ScorePlugin, p: PodOpts, nodes: { opts: NodeOpts; placed?: PodOpts[] }[], config: Parameters<typeof ctx>[0] = {}): number[] {
  const c = ctx(config);
  const pi = info(pod('p', p));
  const raw = nodes.map((n, i) => plugin.score(pi, nodeInfo(node(`n${i}`, n.opts), (n.placed ?? []).map((o, j) => pod(`x${i}-${j}`, { nodeName: `n${i}`, ...o }))), c));
  plugin.normalize?.(raw);
  return raw;
}

describe('NodeResourcesFit score', () => {
  const nodes = [
    { opts: { cpu: '4', memory: '4Gi' } },
    { opts: { cpu: '4', memory: '4Gi' }, placed: [{ cpu: '2', memory: '2Gi' }] },
  ];
  const p = { cpu: '1', memory: '1Gi' };
  it('spread (least allocated) prefers the emptier node', () => {
    // 1/4 used → 75; 3/4 used → 25.
    expect(scores(allocationScore, p, nodes, { scoring: 'spread' })).toEqual([75, 25]);
  });
  it('binpack (most allocated) prefers the fuller node', () => {
    expect(scores(allocationScore, p, nodes, { scoring: 'binpack' })).toEqual([25, 75]);
  });
  it('pods without requests count with the small defaults (100m, 64Mi)', () => {
    const [s] = scores(allocationScore, {}, [{ opts: { cpu: '1', memory: '640Mi' } }], { scoring: 'binpack' });
    expect(s).toBe(10);
  });
  it('a full node scores 0 with spread', () => {
    expect(scores(allocationScore, { cpu: '4', memory: '4Gi' }, [{ opts: {} }], { scoring: 'spread' })).toEqual([0]);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('equal cpu and memory fractions score 100; lopsided ones less', () => {
    const res = scores(balancedAllocation, { cpu: '2', memory: '2Gi' }, [{ opts: { cpu: '4', memory: '4Gi' } }, { opts: { cpu: '4', memory: '16Gi' } }]);
    expect(res[0]).toBe(100);
    // cpu 0.5, memory 0.125 → 1 - 0.375/2 = 0.8125.
    expect(res[1]).toBe(81);
  });
});

describe('SelectorSpread (owner)', () => {
  it('the node with the fewest replicas of the same owner scores highest', () => {
    const res = scores(ownerSpread, { owner: 'rs-a' }, [
      { opts: {}, placed: [{ owner: 'rs-a' }, { owner: 'rs-a' }] },
      { opts: {}, placed: [{ owner: 'rs-a' }] },
      { opts: {}, placed: [{ owner: 'rs-b' }, { owner: 'rs-b' }] },
    ]);
    expect(res).toEqual([0, 50, 100]);
  });
  it('pods without an owner get no preference', () => {
    expect(scores(ownerSpread, {}, [{ opts: {}, placed: [{}] }, { opts: {} }])).toEqual([100, 100]);
  });
});

describe('TaintToleration score (PreferNoSchedule)', () => {
  const soft = (key: string) => ({ key, effect: 'PreferNoSchedule' as const });
  it('fewer untolerated PreferNoSchedule taints score higher', () => {
    expect(scores(taintPreference, {}, [{ opts: { taints: [soft('a'), soft('b')] } }, { opts: { taints: [soft('a')] } }, { opts: {} }])).toEqual([0, 50, 100]);
  });
  it('tolerated ones do not count', () => {
    expect(scores(taintPreference, { tolerations: [{ key: 'a', operator: 'Exists' }] }, [{ opts: { taints: [soft('a')] } }, { opts: {} }])).toEqual([100, 100]);
  });
  it('NoSchedule taints are the filter\'s business, not the score\'s', () => {
    expect(scores(taintPreference, {}, [{ opts: { taints: [{ key: 'a', effect: 'NoSchedule' }] } }, { opts: {} }])).toEqual([100, 100]);
  });
});

describe('LiveUsage', () => {
  const ts = new Date(now - 5000).toISOString();
  const rows: { name: string; usage?: NodeOpts['usage']; score: number }[] = [
    { name: 'idle', usage: { cpuPercent: 0, memoryPercent: 10, timestamp: ts }, score: 90 },
    { name: 'busy cpu', usage: { cpuPercent: 90, memoryPercent: 10, timestamp: ts }, score: 10 },
    { name: 'memory dominates when higher', usage: { cpuPercent: 20, memoryPercent: 70, timestamp: ts }, score: 30 },
    { name: 'throttled scores a quarter', usage: { cpuPercent: 0, memoryPercent: 0, throttled: true, timestamp: ts }, score: 25 },
    { name: 'warm (75 °C) halves', usage: { cpuPercent: 0, memoryPercent: 0, temperatureCelsius: 75, timestamp: ts }, score: 50 },
    { name: 'hot (80 °C) scores 0', usage: { cpuPercent: 0, memoryPercent: 0, temperatureCelsius: 82, timestamp: ts }, score: 0 },
    { name: 'cool temperature costs nothing', usage: { cpuPercent: 0, memoryPercent: 0, temperatureCelsius: 55, timestamp: ts }, score: 100 },
    { name: 'no readings: neutral', score: unknownUsageScore },
    { name: 'stale readings: neutral', usage: { cpuPercent: 0, memoryPercent: 0, timestamp: new Date(now - 120_000).toISOString() }, score: unknownUsageScore },
  ];
  it.each(rows)('$name', (r) => {
    expect(scores(liveUsage, {}, [{ opts: r.usage ? { usage: r.usage } : {} }])).toEqual([r.score]);
  });
  it('a node at 90 % CPU loses to an idle one even when its requests look free', () => {
    const [busy, idle] = scores(liveUsage, {}, [{ opts: { usage: { cpuPercent: 90, timestamp: ts } } }, { opts: { usage: { cpuPercent: 5, timestamp: ts } } }]);
    expect(busy!).toBeLessThan(idle!);
  });
});
