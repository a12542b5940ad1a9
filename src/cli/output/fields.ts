// Tolerant readers for objects of any shape: a half-filled status must still print, never throw.

export function at(value: unknown, ...keys: (string | number)[]): unknown {
  let v = value;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

export function str(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value === '' ? fallback : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function rec(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function strMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(value))) out[k] = str(v);
  return out;
}

/** `a=1,b=2`, or `<none>`. */
export function labelsText(labels: unknown): string {
  const entries = Object.entries(strMap(labels));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
