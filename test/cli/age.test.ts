import { describe, expect, it } from 'vitest';
import { age, humanDuration } from '../../src/cli/output/age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('ages like kubectl', () => {
  it.each([
    [0, '0s'], [-500, '0s'], [-5 * s, '<invalid>'], [45 * s, '45s'], [119 * s, '119s'], [2 * m, '2m'], [3 * m + 12 * s, '3m12s'],
    [10 * m, '10m'], [179 * m, '179m'], [3 * h, '3h'], [5 * h + 7 * m, '5h7m'], [8 * h, '8h'], [47 * h, '47h'], [2 * d, '2d'],
    [2 * d + 5 * h, '2d5h'], [8 * d, '8d'], [400 * d, '400d'], [730 * d, '2y'], [800 * d, '2y70d'], [9 * 365 * d, '9y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('measures from a timestamp, unknown without one', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(age('2024-05-01T11:56:48Z', now)).toBe('3m12s');
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age('yesterday', now)).toBe('<unknown>');
  });
});
