// The shared node matching rules (src/api/node-selector.ts) used by the scheduler's NodeSelector
// and NodeAffinity plugins and by the DaemonSet controller.
import { describe, expect, it } from 'vitest';
import { nodeSelectorMatches, nodeSelectorTermMatches, nodeSelectorTermsMatch } from '../../src/api/node-selector.js';
import type { Node, NodeSelectorTerm } from '../../src/api/schemas.js';

const labels = { 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'raspberry-pi-4b', 'bramble.dev/capability.camera': 'true', memory_gb: '4', temp: '-5' };
const node = (name: string | undefined, l: Record<string, string> | undefined = labels): Node => ({
  apiVersion: 'v1', kind: 'Node', metadata: { ...(name !== undefined ? { name } : {}), ...(l !== undefined ? { labels: l } : {}) },
});
const n = node('pi-1');

type Req = NonNullable<NodeSelectorTerm['matchExpressions']>[number];
const expr = (...r: Req[]): NodeSelectorTerm => ({ matchExpressions: r });
const field = (...r: Req[]): NodeSelectorTerm => ({ matchFields: r });

describe('nodeSelectorTermMatches', () => {
  const rows: { name: string; term: NodeSelectorTerm; match: boolean }[] = [
    { name: 'In matches', term: expr({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'arm'] }), match: true },
    { name: 'In misses', term: expr({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }), match: false },
    { name: 'In on a missing label misses', term: expr({ key: 'zone', operator: 'In', values: ['a'] }), match: false },
    { name: 'In without values misses', term: expr({ key: 'kubernetes.io/arch', operator: 'In' }), match: false },
    { name: 'NotIn matches', term: expr({ key: 'kubernetes.io/arch', operator: 'NotIn', values: ['amd64'] }), match: true },
    { name: 'NotIn misses', term: expr({ key: 'kubernetes.io/arch', operator: 'NotIn', values: ['arm64'] }), match: false },
    { name: 'NotIn on a missing label matches', term: expr({ key: 'zone', operator: 'NotIn', values: ['a'] }), match: true },
    { name: 'Exists', term: expr({ key: 'bramble.dev/capability.camera', operator: 'Exists' }), match: true },
    { name: 'Exists misses', term: expr({ key: 'bramble.dev/capability.gpu', operator: 'Exists' }), match: false },
    { name: 'DoesNotExist', term: expr({ key: 'bramble.dev/capability.gpu', operator: 'DoesNotExist' }), match: true },
    { name: 'DoesNotExist misses', term: expr({ key: 'kubernetes.io/arch', operator: 'DoesNotExist' }), match: false },
    { name: 'Gt', term: expr({ key: 'memory_gb', operator: 'Gt', values: ['2'] }), match: true },
    { name: 'Gt equal misses', term: expr({ key: 'memory_gb', operator: 'Gt', values: ['4'] }), match: false },
    { name: 'Gt on a negative label', term: expr({ key: 'temp', operator: 'Gt', values: ['-10'] }), match: true },
    { name: 'Gt on a missing label misses', term: expr({ key: 'zone', operator: 'Gt', values: ['1'] }), match: false },
    { name: 'Gt with two values misses', term: expr({ key: 'memory_gb', operator: 'Gt', values: ['1', '2'] }), match: false },
    { name: 'Lt', term: expr({ key: 'memory_gb', operator: 'Lt', values: ['8'] }), match: true },
    { name: 'Lt equal misses', term: expr({ key: 'memory_gb', operator: 'Lt', values: ['4'] }), match: false },
    { name: 'Lt on a non-integer label misses', term: expr({ key: 'kubernetes.io/arch', operator: 'Lt', values: ['8'] }), match: false },
    { name: 'expressions are ANDed: all match', term: expr({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }, { key: 'memory_gb', operator: 'Gt', values: ['2'] }), match: true },
    { name: 'expressions are ANDed: one misses', term: expr({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }, { key: 'memory_gb', operator: 'Gt', values: ['8'] }), match: false },
    { name: 'matchFields metadata.name In', term: field({ key: 'metadata.name', operator: 'In', values: ['pi-1'] }), match: true },
    { name: 'matchFields metadata.name In another', term: field({ key: 'metadata.name', operator: 'In', values: ['pi-2'] }), match: false },
    { name: 'matchFields metadata.name NotIn', term: field({ key: 'metadata.name', operator: 'NotIn', values: ['pi-2'] }), match: true },
    { name: 'matchFields metadata.name NotIn itself', term: field({ key: 'metadata.name', operator: 'NotIn', values: ['pi-1'] }), match: false },
    { name: 'matchFields metadata.name Exists', term: field({ key: 'metadata.name', operator: 'Exists' }), match: true },
    { name: 'matchFields does not see labels', term: field({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }), match: false },
    { name: 'matchExpressions do not see fields', term: expr({ key: 'metadata.name', operator: 'In', values: ['pi-1'] }), match: false },
    {
      name: 'matchExpressions and matchFields are ANDed: both match', match: true,
      term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['pi-1'] }] },
    },
    {
      name: 'matchExpressions and matchFields are ANDed: the field misses', match: false,
      term: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['pi-2'] }] },
    },
    { name: 'an empty term matches nothing', term: {}, match: false },
    { name: 'a term of empty lists matches nothing', term: { matchExpressions: [], matchFields: [] }, match: false },
  ];
  it.each(rows)('$name', (r) => expect(nodeSelectorTermMatches(r.term, n)).toBe(r.match));

  it('a node without labels: NotIn and DoesNotExist match, In and Exists do not', () => {
    const bare = node('pi-9', undefined);
    expect(nodeSelectorTermMatches(expr({ key: 'zone', operator: 'NotIn', values: ['a'] }), bare)).toBe(true);
    expect(nodeSelectorTermMatches(expr({ key: 'zone', operator: 'DoesNotExist' }), bare)).toBe(true);
    expect(nodeSelectorTermMatches(expr({ key: 'zone', operator: 'In', values: ['a'] }), bare)).toBe(false);
    expect(nodeSelectorTermMatches(expr({ key: 'zone', operator: 'Exists' }), bare)).toBe(false);
  });
});

describe('nodeSelectorTermsMatch', () => {
  const arm = expr({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] });
  const amd = expr({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] });
  const rows: { name: string; terms: NodeSelectorTerm[]; match: boolean }[] = [
    { name: 'one matching term', terms: [arm], match: true },
    { name: 'terms are ORed: the second matches', terms: [amd, arm], match: true },
    { name: 'terms are ORed: none matches', terms: [amd, field({ key: 'metadata.name', operator: 'In', values: ['pi-2'] })], match: false },
    { name: 'an empty term does not match, another may', terms: [{}, arm], match: true },
    { name: 'only an empty term matches nothing', terms: [{}], match: false },
    { name: 'an empty term list matches nothing', terms: [], match: false },
  ];
  it.each(rows)('$name', (r) => expect(nodeSelectorTermsMatch(r.terms, n)).toBe(r.match));
});

describe('nodeSelectorMatches', () => {
  const rows: { name: string; sel: Record<string, string> | undefined; node?: Node; match: boolean }[] = [
    { name: 'no selector matches every node', sel: undefined, match: true },
    { name: 'an empty selector matches every node', sel: {}, match: true },
    { name: 'an empty selector matches a node without labels', sel: {}, node: node('pi-9', undefined), match: true },
    { name: 'one pair matches', sel: { 'kubernetes.io/arch': 'arm64' }, match: true },
    { name: 'one pair misses', sel: { 'kubernetes.io/arch': 'amd64' }, match: false },
    { name: 'all pairs must match', sel: { 'kubernetes.io/arch': 'arm64', 'bramble.dev/model': 'raspberry-pi-5' }, match: false },
    { name: 'a missing label misses', sel: { zone: 'a' }, match: false },
    { name: 'a node without labels misses', sel: { zone: 'a' }, node: node('pi-9', undefined), match: false },
  ];
  it.each(rows)('$name', (r) => expect(nodeSelectorMatches(r.sel, r.node ?? n)).toBe(r.match));
});
