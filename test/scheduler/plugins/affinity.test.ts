import { describe, expect, it } from 'vitest';
import type { NodeSelectorTerm } from '../../../src/api/schemas.js';
import { nodeAffinity, nodeSelector, preferredAffinity } from '../../../src/scheduler/plugins/node-affinity.js';
import { ctx, info, node, nodeInfo, pod } from '../fixtures.js';

// The term rules themselves (every operator, matchFields, empty terms) are tested in
// test/api/node-selector.test.ts; these tests cover the plugins around them.
const labels = { 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'raspberry-pi-4b', 'bramble.dev/capability.camera': 'true', memory_gb: '4' };
const n = node('pi-1', { labels });

describe('NodeSelector', () => {
  const rows: { name: string; sel: Record<string, string> | undefined; ok: boolean }[] = [
    { name: 'no selector', sel: undefined, ok: true },
    { name: 'arch matches', sel: { 'kubernetes.io/arch': 'arm64' }, ok: true },
    { name: 'arm64-only image on amd64 is refused', sel: { 'kubernetes.io/arch': 'amd64' }, ok: false },
    { name: 'all pairs must match', sel: { 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'raspberry-pi-5' }, ok: false },
    { name: 'capability label', sel: { 'bramble.dev/capability.camera': 'true' }, ok: true },
  ];
  it.each(rows)('$name', (r) => {
    const res = nodeSelector.filter(info(pod('p', r.sel ? { nodeSelector: r.sel } : {})), nodeInfo(n), ctx());
    expect(res.ok).toBe(r.ok);
    if (!res.ok) expect(res.reasons).toEqual(["node(s) didn't match node selector"]);
  });
});

describe('NodeAffinity (required)', () => {
  const term = (values: string[]): NodeSelectorTerm => ({ matchFields: [{ key: 'metadata.name', operator: 'In', values }] });
  const rows = [
    { name: 'no affinity', terms: undefined, ok: true },
    { name: 'DaemonSet-style matchFields for this node', terms: [term(['pi-1'])], ok: true },
    { name: 'DaemonSet-style matchFields for another node', terms: [term(['pi-2'])], ok: false },
    { name: 'terms are ORed', terms: [term(['pi-2']), { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In' as const, values: ['arm64'] }] }], ok: true },
    { name: 'an empty term list matches nothing', terms: [], ok: false },
  ];
  it.each(rows)('$name', (r) => {
    const p = pod('p', r.terms ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: r.terms } } } } : {});
    const res = nodeAffinity.filter(info(p), nodeInfo(n), ctx());
    expect(res.ok).toBe(r.ok);
    if (!res.ok) expect(res.reasons).toEqual(["node(s) didn't match Pod's node affinity"]);
  });
});

describe('NodeAffinity (preferred score)', () => {
  it('sums matching weights and scales the best to 100', () => {
    const p = info(pod('p', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 10, preference: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] } },
    ] } } }));
    const nodes = [node('a', { labels: { zone: 'a' } }), node('b'), node('c', { labels: { 'kubernetes.io/arch': 'amd64' } })].map((x) => nodeInfo(x));
    const raw = nodes.map((ni) => preferredAffinity.score(p, ni, ctx()));
    expect(raw).toEqual([40, 10, 0]);
    preferredAffinity.normalize!(raw);
    expect(raw).toEqual([100, 25, 0]);
  });
  it('no preferences: every node 0', () => {
    const raw = [node('a'), node('b')].map((x) => preferredAffinity.score(info(pod('p')), nodeInfo(x), ctx()));
    preferredAffinity.normalize!(raw);
    expect(raw).toEqual([0, 0]);
  });
});
