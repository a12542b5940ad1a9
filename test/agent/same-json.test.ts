import { describe, expect, it } from 'vitest';
import { sameJson } from '../../src/agent/pods/same-json.js';

const values: unknown[] = [
  undefined, null, 0, -0, 1, NaN, Infinity, '', 'a', '1', true, false, () => 1, Symbol('s'),
  [], [undefined], [null], [1, 2], [2, 1], [() => 1], [NaN], {}, { a: undefined }, { a: null }, { a: 1 }, { a: 1, b: 2 }, { b: 2, a: 1 },
  { a: 1, b: undefined }, { b: undefined, a: 1 }, { a: [1, { c: 'x' }] }, { a: [1, { c: 'y' }] }, { a: { b: { c: [] } } }, { a: { b: { c: {} } } },
  new Date(0), '1970-01-01T00:00:00.000Z', [new Date(0)], ['1970-01-01T00:00:00.000Z'], { d: new Date(0) }, { d: '1970-01-01T00:00:00.000Z' }, { toJSON: () => 'z' }, 'z', new Map(), Object.create(null),
  { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
  { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }] } },
];

describe('sameJson', () => {
  it('holds when the JSON texts are the same, key order aside', () => {
    // Key order is the one difference stringify sees and a JSON reader does not.
    const sorted = (v: unknown): unknown => JSON.stringify(JSON.parse(JSON.stringify(v) ?? 'null', (_, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
    for (const a of values) {
      for (const b of values) {
        const want = JSON.stringify(a) === undefined || JSON.stringify(b) === undefined ? JSON.stringify(a) === JSON.stringify(b) : sorted(a) === sorted(b);
        expect([a, b, sameJson(a, b)]).toEqual([a, b, want]);
      }
    }
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameJson([undefined], [null])).toBe(true);
    expect(sameJson({ a: NaN }, { a: null })).toBe(true);
  });

  it('sees a change deep in a pod status report', () => {
    const report = (ready: boolean, restarts = 0) => ({
      v: 1, type: 'podstatus', uid: 'u', status: { phase: 'Running', containerStatuses: [{ name: 'app', ready, restartCount: restarts, state: { running: {} } }] },
    });
    expect(sameJson(report(true), report(true))).toBe(true);
    expect(sameJson(report(true), report(false))).toBe(false);
    expect(sameJson(report(true), report(true, 1))).toBe(false);
  });
});
