// Small numeric and printing helpers shared by the benches.
import os from 'node:os';
import type { BenchRow } from './types.js';

/** Milliseconds from a monotonic clock (sub-microsecond resolution). */
export function nowMs(): number {
  return performance.now();
}

/**
 * The p-th percentile (0–100) of values already sorted ascending, nearest-rank method:
 * the smallest value such that at least p% of the samples are ≤ it. NaN when empty.
 */
export function percentileSorted(s: ArrayLike<number>, p: number): number {
  if (s.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * s.length);
  const i = Math.min(s.length - 1, Math.max(0, rank - 1));
  return s[i] ?? Number.NaN;
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: s.length,
    min: s.length ? s[0]! : Number.NaN,
    mean: s.length ? sum / s.length : Number.NaN,
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p99: percentileSorted(s, 99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
  };
}

/** Round for display and JSON: 3 significant decimals below 10, fewer above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  const d = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

export interface Target {
  op: '<=' | '>=';
  value: number;
}

/**
 * Read a row's target: a string such as "<= 10", "≤ 10", ">= 5000", "≥5000" (a unit after
 * the number is ignored), or a bare number, read as a floor for rates and a ceiling for
 * times (ms, s) and sizes (bytes, B).
 */
export function parseTarget(target: unknown, unit: string): Target | undefined {
  if (typeof target === 'number' && Number.isFinite(target)) {
    const ceiling = /^(ms|s|µs|us|ns|bytes?|b|kb|mb|kib|mib)$/i.test(unit.trim());
    return { op: ceiling ? '<=' : '>=', value: target };
  }
  if (typeof target !== 'string') return undefined;
  const m = /^\s*(<=|≤|<|>=|≥|>)\s*([0-9][0-9_,.]*(?:e[+-]?\d+)?)/i.exec(target);
  if (!m) return undefined;
  const value = Number(m[2]!.replace(/[_,]/g, ''));
  if (!Number.isFinite(value)) return undefined;
  return { op: m[1] === '<=' || m[1] === '≤' || m[1] === '<' ? '<=' : '>=', value };
}

/** Whether the row meets its target: undefined when it has none (or it cannot be read). */
export function meets(row: BenchRow): boolean | undefined {
  const t = parseTarget(row.target, row.unit);
  if (!t || !Number.isFinite(row.value)) return t ? false : undefined;
  return t.op === '<=' ? row.value <= t.value : row.value >= t.value;
}

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const r = round(v);
  return Math.abs(r) >= 10_000 ? r.toLocaleString('en-US') : String(r);
}

function fmtTarget(row: BenchRow): string {
  if (row.target === undefined) return '';
  const t = parseTarget(row.target, row.unit);
  if (typeof row.target === 'string') return row.target;
  return t ? `${t.op === '<=' ? '≤' : '≥'} ${fmtValue(t.value)}` : String(row.target);
}

/** The rows as an aligned text table: name | value | unit | target | met? (notes below). */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['name', 'value', 'unit', 'target', 'met?'];
  const body = rows.map((r) => {
    const m = meets(r);
    return [r.name, fmtValue(r.value), r.unit, fmtTarget(r), m === undefined ? '' : m ? 'yes' : 'NO'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const right = new Set([1]);
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const out = [line(header), sep, ...body.map(line)];
  const notes = rows.filter((r) => r.note);
  if (notes.length) {
    out.push('', 'notes:');
    for (const r of notes) out.push(`  ${r.name}: ${r.note}`);
  }
  return out.join('\n');
}

/** A row with the value rounded for output. */
export function row(name: string, value: number, unit: string, target?: string, note?: string): BenchRow {
  return { name, value: round(value), unit, ...(target !== undefined ? { target } : {}), ...(note !== undefined ? { note } : {}) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU seconds all processes on the machine have spent busy so far (all cores). */
export function machineBusySeconds(): number {
  let ms = 0;
  for (const c of os.cpus()) ms += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return ms / 1000;
}
