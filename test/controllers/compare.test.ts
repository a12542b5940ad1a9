import { describe, expect, it } from 'vitest';
import { sameJson, sameStringMap } from '../../src/controllers/compare.js';

describe('change checks for event handlers', () => {
  it.each<[Record<string, string> | undefined, Record<string, string> | undefined, boolean]>([
    [undefined, undefined, true], [undefined, {}, true], [{ a: '1' }, { a: '1' }, true], [{ a: '1', b: '2' }, { b: '2', a: '1' }, true],
    [{ a: '1' }, { a: '2' }, false], [{ a: '1' }, {}, false], [{}, { a: '1' }, false], [{ a: '1' }, { b: '1' }, false],
  ])('sameStringMap(%j, %j) = %s', (a, b, same) => expect(sameStringMap(a, b)).toBe(same));

  it('sameJson: the same object without serializing, equal copies, and changes', () => {
    const spec = { taints: [{ key: 'k', effect: 'NoSchedule' }] };
    expect(sameJson(spec, spec)).toBe(true);
    expect(sameJson(spec, structuredClone(spec))).toBe(true);
    expect(sameJson(spec, { taints: [] })).toBe(false);
    expect(sameJson(undefined, undefined)).toBe(true);
    expect(sameJson(spec, undefined)).toBe(false);
  });
});
