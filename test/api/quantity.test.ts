import { describe, expect, it } from 'vitest';
import { cpuMillis, formatQuantity, isQuantity, memoryBytes, parseQuantity, quantityProblem } from '../../src/api/quantity.js';

describe('quantities', () => {
  it.each([
    ['250m', 0.25, 250], ['1.5', 1.5, 1500], ['2', 2, 2000], ['1k', 1000, 1e6], ['2e3', 2000, 2e6], ['1E2', 100, 1e5],
    ['.5', 0.5, 500], ['0', 0, 0], ['+1', 1, 1000], ['100m', 0.1, 100],
  ])('%s → %d (%d milli)', (q, value, milli) => {
    expect(parseQuantity(q)).toEqual({ value, milli });
  });

  it.each([
    ['128Mi', 134217728], ['1Ki', 1024], ['1Gi', 2 ** 30], ['1G', 1e9], ['1M', 1e6], ['1.5Gi', 1.5 * 2 ** 30], ['500', 500], ['1E', 1e18], ['8052564Ki', 8052564 * 1024],
  ])('memoryBytes(%s) = %d', (q, bytes) => expect(memoryBytes(q)).toBe(bytes));

  it('gives millicores, rounding up like Kubernetes', () => {
    expect(cpuMillis('100m')).toBe(100);
    expect(cpuMillis('0.1')).toBe(100);
    expect(cpuMillis(2)).toBe(2000);
    expect(cpuMillis('1.0005')).toBe(1001);
  });

  it('accepts numbers, as YAML gives them', () => {
    expect(parseQuantity(4)).toEqual({ value: 4, milli: 4000 });
    expect(isQuantity(0.5)).toBe(true);
  });

  it.each([
    ['', 'empty'], ['Mi', 'must start with a number'], ['1Mb', 'unknown suffix "Mb"'], ['1 Gi', 'unknown suffix " Gi"'], [' 1', 'surrounding spaces'],
    ['1.2.3', 'unknown suffix ".3"'], ['abc', 'must start with a number'],
  ])('rejects %j naming the problem (%s)', (q, problem) => {
    expect(quantityProblem(q)).toContain(problem);
    expect(isQuantity(q)).toBe(false);
    expect(() => parseQuantity(q)).toThrow(problem);
  });

  it('rejects non-strings and non-numbers', () => {
    expect(quantityProblem(null)).toContain('string or a number');
    expect(quantityProblem(Infinity)).toContain('finite');
  });

  it.each([
    [0.25, 'decimal', '250m'], [2, 'decimal', '2'], [1000, 'decimal', '1k'], [1500, 'decimal', '1500'], [134217728, 'binary', '128Mi'],
    [1536, 'binary', '1536'], [2 ** 30, 'binary', '1Gi'], [1e9, 'decimal', '1G'], [0, 'binary', '0'], [-0.5, 'decimal', '-500m'],
  ] as const)('formatQuantity(%d, %s) = %s', (v, f, s) => {
    expect(formatQuantity(v, f)).toBe(s);
    expect(parseQuantity(s).value).toBe(v);
  });
});

describe('quantities parsed again (memoized)', () => {
  it('gives the same value and the same error every time, and a frozen result', () => {
    for (let i = 0; i < 3; i++) {
      expect(parseQuantity('128Mi')).toEqual({ value: 128 * 2 ** 20, milli: 128 * 2 ** 20 * 1000 });
      expect(() => parseQuantity('12xb')).toThrow('quantity "12xb" has an unknown suffix "xb"');
      expect(() => parseQuantity(' 1')).toThrow('surrounding spaces');
    }
    expect(Object.isFrozen(parseQuantity('250m'))).toBe(true);
    expect(parseQuantity('250m').milli).toBe(250);
  });

  it('stays right past its size limit', () => {
    for (let i = 0; i < 10_000; i++) expect(parseQuantity(`${i}m`).milli).toBe(i);
    expect(parseQuantity('1Ki').value).toBe(1024);
  });
});
