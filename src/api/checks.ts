// Small semantic checks shared by the per-kind validators. They read `unknown` defensively:
// shape errors are reported by the schema check, so a wrong type here is simply skipped.

import type { TSchema } from '@sinclair/typebox';
import { child, fieldError, index, key } from './field-errors.js';
import { X_FORMAT } from './meta.js';
import { dns1123LabelProblem, dns1123SubdomainProblem, portNameProblem } from './names.js';
import { quantityProblem, parseQuantity } from './quantity.js';
import { childOf, isPlainObject, itemsOf, resolveUnion } from './schema-walk.js';
import { labelKeyProblem, labelValueProblem } from './selectors.js';
import type { FieldError } from './types.js';

export function asObj(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}

export function asArr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asStrMap(v: unknown): [string, string][] {
  return Object.entries(asObj(v)).filter((e): e is [string, string] => typeof e[1] === 'string');
}

export function checkLabels(labels: unknown, path: string): FieldError[] {
  const out: FieldError[] = [];
  for (const [k, v] of asStrMap(labels)) {
    const kp = labelKeyProblem(k);
    if (kp) out.push(fieldError.invalid(path, k, kp));
    const vp = labelValueProblem(v);
    if (vp) out.push(fieldError.invalid(key(path, k), v, vp));
  }
  return out;
}

const maxAnnotationBytes = 256 * 1024;

export function checkAnnotations(annotations: unknown, path: string): FieldError[] {
  const out: FieldError[] = [];
  let size = 0;
  for (const [k, v] of asStrMap(annotations)) {
    const kp = labelKeyProblem(k.toLowerCase());
    if (kp) out.push(fieldError.invalid(path, k, kp));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > maxAnnotationBytes) out.push(fieldError.tooLong(path, maxAnnotationBytes, 'bytes'));
  return out;
}

/** A name that must be a DNS-1123 subdomain when set (node names, service accounts, ...). */
export function checkSubdomain(v: unknown, path: string): FieldError[] {
  const s = asStr(v);
  if (s === undefined || s === '') return [];
  const p = dns1123SubdomainProblem(s);
  return p ? [fieldError.invalid(path, s, p)] : [];
}

export function checkLabel(v: unknown, path: string): FieldError[] {
  const s = asStr(v);
  if (s === undefined || s === '') return [];
  const p = dns1123LabelProblem(s);
  return p ? [fieldError.invalid(path, s, p)] : [];
}

export function checkPortNumber(v: unknown, path: string): FieldError[] {
  if (typeof v !== 'number' || !Number.isInteger(v)) return [];
  return v < 1 || v > 65535 ? [fieldError.invalid(path, v, 'must be between 1 and 65535, inclusive')] : [];
}

/** A port given as a number (1–65535) or as the name of a container port. */
export function checkPortOrName(v: unknown, path: string): FieldError[] {
  if (typeof v === 'number') return checkPortNumber(v, path);
  if (typeof v !== 'string') return [];
  // "8080" as a string is how some tools write numeric ports; Kubernetes accepts it for targetPort.
  if (/^\d+$/.test(v)) return checkPortNumber(Number(v), path);
  const p = portNameProblem(v);
  return p ? [fieldError.invalid(path, v, p)] : [];
}

const selectorOps = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** A LabelSelector object (matchLabels / matchExpressions). */
export function checkLabelSelector(sel: unknown, path: string): FieldError[] {
  const s = asObj(sel);
  const out = checkLabels(s.matchLabels, child(path, 'matchLabels'));
  asArr(s.matchExpressions).forEach((raw, i) => {
    const e = asObj(raw);
    const p = index(child(path, 'matchExpressions'), i);
    const k = asStr(e.key);
    if (k !== undefined) {
      const kp = labelKeyProblem(k);
      if (kp) out.push(fieldError.invalid(child(p, 'key'), k, kp));
    }
    out.push(...checkOperatorValues(e, p, selectorOps));
  });
  return out;
}

/** In/NotIn need values, Exists/DoesNotExist take none, Gt/Lt take one integer. */
export function checkOperatorValues(e: Record<string, unknown>, path: string, operators: readonly string[]): FieldError[] {
  const op = asStr(e.operator);
  if (op === undefined || !operators.includes(op)) return [];
  const values = asArr(e.values);
  const vp = child(path, 'values');
  if ((op === 'In' || op === 'NotIn') && values.length === 0) return [fieldError.required(vp, 'must be specified when `operator` is \'In\' or \'NotIn\'')];
  if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) return [fieldError.forbidden(vp, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'')];
  if (op === 'Gt' || op === 'Lt') {
    if (values.length !== 1) return [fieldError.required(vp, 'must be specified single value when `operator` is \'Lt\' or \'Gt\'')];
    if (typeof values[0] === 'string' && !/^-?\d+$/.test(values[0])) return [fieldError.invalid(index(vp, 0), values[0], 'must be an integer')];
  }
  return [];
}

function checkFormat(format: unknown, value: unknown, path: string): FieldError[] {
  if (format === 'quantity') {
    if (typeof value !== 'string' && typeof value !== 'number') return [];
    const p = quantityProblem(value);
    if (p) return [fieldError.invalid(path, value, p)];
    return parseQuantity(value).value < 0 ? [fieldError.invalid(path, value, 'must be greater than or equal to 0')] : [];
  }
  if (format === 'int-or-percent' && typeof value === 'string' && !/^\d+%$/.test(value)) {
    return [fieldError.invalid(path, value, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\')')];
  }
  return [];
}

/** Checks every value whose schema carries an x-bramble-format (quantities, percents). */
export function checkFormats(schema: TSchema, value: unknown, path: string): FieldError[] {
  const own = checkFormat((schema as Record<string, unknown>)[X_FORMAT], value, path);
  if (own.length > 0) return own;
  const s = resolveUnion(schema, value);
  const out: FieldError[] = [];
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (items) value.forEach((v, i) => out.push(...checkFormats(items, v, index(path, i))));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const c = childOf(s, k);
      if (c.schema) out.push(...checkFormats(c.schema, v, c.kind === 'mapKey' ? key(path, k) : child(path, k)));
    }
  }
  return out;
}
