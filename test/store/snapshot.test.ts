// The store's copy of a written value (snapshot): exactly what a JSON round trip would make,
// with its text, sharing only the parts the store already owns.
import { describe, expect, it } from 'vitest';
import { snapshot } from '../../src/store/change.js';
import { isStoredPart } from '../../src/api/validation-parts.js';

const values: Record<string, unknown>[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'n', value: undefined }] }] }, status: { phase: 'Pending' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { 'k"ey': 'v\n', u: undefined }, skip: undefined, fn: () => 1 },
  { kind: 'NoMetadata', spec: [1, null, 'x'] },
  { metadata: { name: 'n', when: new Date(0) }, n: -0, big: 1e21, s: '\u2028' },
];

describe('snapshot', () => {
  it('copies as a JSON round trip would, and its text is JSON.stringify of the value', () => {
    for (const v of values) {
      const s = snapshot(v);
      expect(s.json).toBe(JSON.stringify(v));
      expect(s.value).toEqual(JSON.parse(JSON.stringify(v)));
      expect(JSON.stringify(s.value)).toBe(s.json);
      expect(Object.isFrozen(s.value)).toBe(true);
    }
  });

  it('shares the parts it owns, copies the rest, and never marks a caller\'s object', () => {
    const first = snapshot(values[0]).value as Record<string, Record<string, unknown>>;
    expect(isStoredPart(first.spec)).toBe(true);
    expect(isStoredPart(values[0]!.spec)).toBe(false);
    const mine = { ...first.spec };
    expect(isStoredPart(mine)).toBe(false);
    const second = snapshot({ ...first, status: { phase: 'Running' }, extra: mine }).value as Record<string, unknown>;
    expect(second.spec).toBe(first.spec);
    expect(second.extra).not.toBe(mine);
    expect(second.extra).toEqual(mine);
  });
});
