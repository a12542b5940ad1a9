import { describe, expect, it } from 'vitest';
import type { NodeSelectorTerm } from '../../../src/api/schemas.js';
import { nodeAffinity, nodeSelector, preferredAffinity, termMatches } from '../../../src/scheduler/plugins/node-affinity.js';
import { ctx, info, node, nodeInfo, pod } from '../fixtures.js';

const labels = { 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'raspberry-pi-4b', 'bramble.dev/capability.camera': 'true', memory_gb: '4' };
const n = node('pi-1', { labels });

describe('node selector term', () => {
  const rows: { name: string; term: NodeSelectorTerm; match: boolean }[] = [
    { name: 'In matches', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'arm'] }] }, match: true },
    { name: 'In misses', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }, match: false },
    { name: 'In on a missing label', term: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, match: false },
    { name: 'NotIn matches', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'NotIn', values: ['amd64'] }] }, match: true },
    { name: 'NotIn misses', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'NotIn', values: ['arm64'] }] }, match: false },
    { name: 'NotIn on a missing label matches', term: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, match: true },
    { name: 'Exists', term: { matchExpressions: [{ key: 'bramble.dev/capability.camera', operator: 'Exists' }] }, match: true },
    { name: 'Exists misses', term: { matchExpressions: [{ key: 'bramble.dev/capability.gpu', operator: 'Exists' }] }, match: false },
    { name: 'DoesNotExist', term: { matchExpressions: [{ key: 'bramble.dev/capability.gpu', operator: 'DoesNotExist' }] }, match: true },
    { name: 'DoesNotExist misses', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'DoesNotExist' }] }, match: false },
    { name: 'Gt', term: { matchExpressions: [{ key: 'memory_gb', operator: 'Gt', values: ['2'] }] }, match: true },
    { name: 'Gt equal misses', term: { matchExpressions: [{ key: 'memory_gb', operator: 'Gt', values: ['4'] }] }, match: false },
    { name: 'Lt', term: { matchExpressions: [{ key: 'memory_gb', operator: 'Lt', values: ['8'] }] }, match: true },
    { name: 'Lt on a non-integer label misses', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'Lt', values: ['8'] }] }, match: false },
    { name: 'Gt on a missing label misses', term: { matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }] }, match: false },
    { name: 'expressions are ANDed', term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }, { key: 'memory_gb', operator: 'Gt', values: ['8'] }] }, match: false },
    { name: 'matchFields metadata.name In', term: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['pi-1'] }] }, match: true },
    { name: 'matchFields metadata.name In another', term: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['pi-2'] }] }, match: false },
    { name: 'matchFields metadata.name NotIn', term: { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['pi-2'] }] }, match: true },
    { name: 'an empty term matches nothing', term: {}, match: false },
  ];
  it.each(rows)('$name', (r) => expect(termMatches(r.term, n)).toBe(r.match));
});

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
