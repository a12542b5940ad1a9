// Kubernetes resource quantities: `250m`, `1.5`, `128Mi`, `1G`, `2e3`, `1Ki`.
// Numbers are JS doubles: exact for every quantity a node or pod realistically carries.

export interface ParsedQuantity {
  /** In base units: cores for cpu, bytes for memory. */
  value: number;
  /** value × 1000, rounded up as Kubernetes' MilliValue does. */
  milli: number;
}

const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const suffixList = 'Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E or an exponent such as e3';

const numberRe = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)/;

/** Why `q` is not a valid quantity, or undefined if it is one. */
export function quantityProblem(q: unknown): string | undefined {
  try {
    parseQuantity(q as string | number);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function isQuantity(q: unknown): q is string | number {
  return quantityProblem(q) === undefined;
}

function multiplier(suffix: string, text: string): number {
  const exp = /^[eE]([+-]?\d+)$/.exec(suffix);
  if (exp) return 10 ** Number(exp[1]);
  const m = binary[suffix] ?? decimal[suffix];
  if (m === undefined) throw new Error(`quantity "${text}" has an unknown suffix "${suffix}": use ${suffixList}`);
  return m;
}

/**
 * Parsed quantity texts, valid ones and invalid ones: a fleet's objects repeat a few dozen
 * (every node's capacity, every replica's requests), and validation and the scheduler parse
 * them on every write. Bounded: emptied when full.
 */
const parsed = new Map<string, Readonly<ParsedQuantity> | string>();
const parsedLimit = 4096;

/** Parse a quantity; throws an Error naming the problem. A plain number (from YAML or JSON) is accepted. */
export function parseQuantity(q: string | number): ParsedQuantity {
  if (typeof q !== 'string') return parseUncached(q);
  let r = parsed.get(q);
  if (r === undefined) {
    try {
      r = Object.freeze(parseUncached(q));
    } catch (e) {
      r = (e as Error).message;
    }
    if (parsed.size >= parsedLimit) parsed.clear();
    parsed.set(q, r);
  }
  if (typeof r === 'string') throw new Error(r);
  return r;
}

function parseUncached(q: string | number): ParsedQuantity {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new Error(`quantity ${q} is not a finite number`);
    return { value: q, milli: Math.ceil(q * 1000) };
  }
  if (typeof q !== 'string') throw new Error(`a quantity must be a string or a number, not ${q === null ? 'null' : typeof q}`);
  const text = q.trim();
  if (text === '') throw new Error('quantity is empty');
  if (text !== q) throw new Error(`quantity "${q}" has surrounding spaces`);
  const num = numberRe.exec(text);
  if (!num) throw new Error(`quantity "${q}" must start with a number, as in "250m", "1.5" or "128Mi"`);
  const value = Number(num[0]) * multiplier(text.slice(num[0].length), q);
  if (!Number.isFinite(value)) throw new Error(`quantity "${q}" is too large`);
  // Rounding guards against float noise such as 0.1 * 1000 = 100.00000000000001.
  const milli = Math.ceil(Number((value * 1000).toPrecision(15)));
  return { value, milli };
}

/** CPU in millicores (`250m` → 250, `2` → 2000). */
export function cpuMillis(q: string | number): number {
  return parseQuantity(q).milli;
}

/** Memory or storage in bytes, rounded up (`128Mi` → 134217728, `1G` → 1e9). */
export function memoryBytes(q: string | number): number {
  return Math.ceil(Number(parseQuantity(q).value.toPrecision(15)));
}

/**
 * The shortest canonical text for a value in base units: binary suffixes (Ki, Mi, ...) for
 * `binary` (memory), decimal ones (m, k, M, ...) otherwise. Fractions below a milli round up.
 */
export function formatQuantity(value: number, format: 'binary' | 'decimal' = 'decimal'): string {
  if (!Number.isFinite(value)) throw new Error(`cannot format ${value} as a quantity`);
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (!Number.isInteger(abs)) return `${sign}${Math.ceil(Number((abs * 1000).toPrecision(15)))}m`;
  if (abs === 0) return '0';
  const table = format === 'binary' ? binary : decimal;
  let best = '';
  let bestScale = 1;
  for (const [suffix, scale] of Object.entries(table)) {
    if (scale > bestScale && abs % scale === 0) {
      best = suffix;
      bestScale = scale;
    }
  }
  return `${sign}${abs / bestScale}${best}`;
}
