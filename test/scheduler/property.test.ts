// Property test of the decision: random clusters and pods from a seeded PRNG, scheduled one after
// another as the scheduler does (each placement counted before the next decision). An independent,
// deliberately naive oracle says which nodes are feasible; the decision must agree with it, so it
// never over-commits allocatable, never lands on a tainted node without a toleration, and never
// on a NotReady or cordoned node.
import { describe, expect, it } from 'vitest';
import type { Node, Pod, Taint, Toleration } from '../../src/api/schemas.js';
import { decide } from '../../src/scheduler/decide.js';
import { addPod, buildNodeInfos, podInfo } from '../../src/scheduler/node-info.js';
import { findPreemption } from '../../src/scheduler/preemption.js';
import { ctx, node, pod } from './fixtures.js';

/** mulberry32: a tiny, good-enough seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number): boolean => r() < p;

const taintPool: Taint[] = [
  { key: 'dedicated', value: 'camera', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
  { key: 'flaky', effect: 'PreferNoSchedule' },
];
const tolerationPool: Toleration[] = [
  { key: 'dedicated', operator: 'Equal', value: 'camera', effect: 'NoSchedule' },
  { key: 'dedicated', operator: 'Equal', value: 'gpu' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { operator: 'Exists' },
];

function randomNode(r: Rand, i: number): Node {
  return node(`n${i}`, {
    cpu: `${pick(r, [500, 1000, 2000, 4000])}m`,
    memory: `${pick(r, [256, 512, 1024, 4096])}Mi`,
    pods: pick(r, [2, 4, 8]),
    ...(chance(r, 0.4) ? { extra: { 'bramble.dev/gpio': '1' } } : {}),
    labels: { 'kubernetes.io/arch': pick(r, ['arm64', 'arm64', 'amd64']), zone: pick(r, ['a', 'b']) },
    taints: taintPool.filter(() => chance(r, 0.2)),
    ready: chance(r, 0.15) ? pick(r, ['False', 'Unknown'] as const) : 'True',
    unschedulable: chance(r, 0.1),
  });
}

function randomPod(r: Rand, i: number, nodeName?: string): Pod {
  return pod(`p${i}`, {
    cpu: `${pick(r, [0, 100, 250, 500, 1000])}m`,
    memory: `${pick(r, [0, 32, 64, 128, 512])}Mi`,
    ...(chance(r, 0.15) ? { extra: { 'bramble.dev/gpio': '1' } } : {}),
    ...(chance(r, 0.3) ? { nodeSelector: { 'kubernetes.io/arch': pick(r, ['arm64', 'amd64']) } } : {}),
    ...(chance(r, 0.2) ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: [pick(r, ['a', 'b'])] }] }] } } } } : {}),
    ...(chance(r, 0.2) ? { hostPorts: [{ port: pick(r, [80, 443]) }] } : {}),
    tolerations: tolerationPool.filter(() => chance(r, 0.15)),
    priority: pick(r, [0, 0, 10]),
    ...(nodeName ? { nodeName } : {}),
  });
}

// ---- the oracle: the rules written out plainly, independent of the plugins -------------------

const qty = (q: string | number | undefined, unit: 'cpu' | 'mem' | 'n'): number => {
  if (q === undefined) return 0;
  const s = String(q);
  if (unit === 'cpu') return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
  if (unit === 'mem') return s.endsWith('Mi') ? Number(s.slice(0, -2)) * 2 ** 20 : Number(s);
  return Number(s);
};

const req = (p: Pod, r: string): number => {
  const v = p.spec.containers[0]!.resources?.requests?.[r];
  return qty(v, r === 'cpu' ? 'cpu' : r === 'memory' ? 'mem' : 'n');
};

function tolerated(p: Pod, t: Taint): boolean {
  return (p.spec.tolerations ?? []).some((x) => (x.operator === 'Exists' && x.key === undefined)
    || (x.key === t.key && (x.effect === undefined || x.effect === t.effect) && (x.operator === 'Exists' || (x.value ?? '') === (t.value ?? ''))));
}

function oracle(p: Pod, n: Node, placed: Pod[]): boolean {
  if (n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
  // Only a pod that tolerates the cordon taint (DaemonSet pods do; `operator: Exists` does) lands on a cordoned node.
  if (n.spec?.unschedulable && !tolerated(p, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return false;
  if ((n.spec?.taints ?? []).some((t) => t.effect !== 'PreferNoSchedule' && !tolerated(p, t))) return false;
  const labels = n.metadata.labels ?? {};
  if (Object.entries(p.spec.nodeSelector ?? {}).some(([k, v]) => labels[k] !== v)) return false;
  const zone = p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values?.[0];
  if (zone !== undefined && labels.zone !== zone) return false;
  const alloc = n.status?.allocatable ?? {};
  const units = { cpu: 'cpu', memory: 'mem', 'bramble.dev/gpio': 'n' } as const;
  for (const [r, unit] of Object.entries(units)) {
    const want = req(p, r);
    if (want > 0 && placed.reduce((s, x) => s + req(x, r), 0) + want > qty(alloc[r], unit)) return false;
  }
  if (placed.length + 1 > qty(alloc.pods, 'n')) return false;
  const port = p.spec.containers[0]!.ports?.[0]?.hostPort;
  if (port !== undefined && placed.some((x) => x.spec.containers[0]!.ports?.[0]?.hostPort === port)) return false;
  return true;
}

describe('decision properties (seeded random clusters)', () => {
  const seeds = Array.from({ length: 300 }, (_, i) => 1000 + i);

  it('agrees with the oracle on every pod: never over-commits, never ignores taints, readiness or cordons', () => {
    let placedCount = 0;
    let refused = 0;
    for (const seed of seeds) {
      const r = prng(seed);
      const nodes = Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) => randomNode(r, i));
      const pre = Array.from({ length: Math.floor(r() * 6) }, (_, i) => randomPod(r, 100 + i, pick(r, nodes).metadata.name));
      // Pre-placed pods only where they fit, as a correct scheduler would have put them.
      const placed = new Map(nodes.map((n) => [n.metadata.name!, [] as Pod[]]));
      for (const p of pre) {
        const list = placed.get(p.spec.nodeName!)!;
        const n = nodes.find((x) => x.metadata.name === p.spec.nodeName)!;
        if (oracle(p, { ...n, spec: {}, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True' }] } }, list)) list.push(p);
      }
      const infos = buildNodeInfos(nodes, [...placed.values()].flat());
      const mode = pick(r, ['spread', 'binpack'] as const);
      for (let i = 0; i < 25; i++) {
        const p = randomPod(r, i);
        const ok = nodes.filter((n) => oracle(p, n, placed.get(n.metadata.name!)!)).map((n) => n.metadata.name);
        const d = decide(podInfo(p), infos, ctx({ scoring: mode }), { start: i });
        const where = `seed ${seed}, pod ${i}`;
        expect(d.fit, where).toBe(ok.length > 0);
        if (!d.fit) { refused++; continue; }
        expect(ok, where).toContain(d.node);
        const bound: Pod = { ...p, spec: { ...p.spec, nodeName: d.node } };
        placed.get(d.node)!.push(bound);
        addPod(infos.find((x) => x.name === d.node)!, podInfo(bound));
        placedCount++;
      }
      // Whatever was placed, no node holds more than it can give.
      for (const ni of infos) {
        expect(ni.requested.cpu).toBeLessThanOrEqual(ni.allocatable.cpu);
        expect(ni.requested.memory).toBeLessThanOrEqual(ni.allocatable.memory);
        expect(ni.requested.pods).toBeLessThanOrEqual(ni.allocatable.pods);
        expect(ni.requested.scalar['bramble.dev/gpio'] ?? 0).toBeLessThanOrEqual(ni.allocatable.scalar['bramble.dev/gpio'] ?? 0);
      }
    }
    // The generator exercises both outcomes.
    expect(placedCount).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });

  it('preemption: victims are lower priority and running, evicting them makes the pod fit, and none could be spared', () => {
    let preemptions = 0;
    for (const seed of seeds) {
      const r = prng(seed * 7 + 1);
      const nodes = Array.from({ length: 1 + Math.floor(r() * 5) }, (_, i) => randomNode(r, i));
      // Fill the nodes with pods the oracle accepts, so the high-priority pod often fits nowhere.
      const placed = new Map(nodes.map((n) => [n.metadata.name!, [] as Pod[]]));
      for (let i = 0; i < 30; i++) {
        const n = pick(r, nodes);
        const p = { ...randomPod(r, 200 + i, n.metadata.name), spec: { ...randomPod(r, 200 + i, n.metadata.name).spec, priority: pick(r, [0, 5, 10, 20]) } };
        if (oracle(p, n, placed.get(n.metadata.name!)!)) placed.get(n.metadata.name!)!.push(p);
      }
      const infos = buildNodeInfos(nodes, [...placed.values()].flat());
      const vip = { ...randomPod(r, 999), spec: { ...randomPod(r, 999).spec, priority: 15 } };
      const d = decide(podInfo(vip), infos, ctx());
      if (d.fit) continue;
      const pre = findPreemption(podInfo(vip), infos, d.failures, ctx());
      if (!pre) continue;
      preemptions++;
      const where = `seed ${seed}`;
      const n = nodes.find((x) => x.metadata.name === pre.node)!;
      const victims = new Set(pre.victims.map((v) => v.key));
      for (const v of pre.victims) expect(v.priority, where).toBeLessThan(15);
      const remaining = placed.get(pre.node)!.filter((p) => !victims.has(`default/${p.metadata.name}`));
      expect(oracle(vip, n, remaining), where).toBe(true);
      for (const v of pre.victims) expect(oracle(vip, n, [...remaining, v.pod]), `${where}: ${v.key} could have stayed`).toBe(false);
    }
    expect(preemptions).toBeGreaterThan(20);
  });
});
