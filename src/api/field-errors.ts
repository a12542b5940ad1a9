// FieldError constructors with Kubernetes' wording ("Required value", "Invalid value: ...", ...)
// and field-path helpers (`spec.containers[0].image`, `data[key]`).

import type { FieldError } from './types.js';

export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** A map key: `metadata.labels[app]`, `data[config.yaml]`. */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** A value as Kubernetes prints it in messages: strings quoted, the rest as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'null';
  return JSON.stringify(value) ?? String(value);
}

function withDetail(base: string, detail: string | undefined): string {
  return detail ? `${base}: ${detail}` : base;
}

export const fieldError = {
  required: (field: string, detail?: string): FieldError => ({ field, reason: 'FieldValueRequired', message: withDetail('Required value', detail) }),
  invalid: (field: string, value: unknown, detail: string): FieldError => ({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${detail}` }),
  typeInvalid: (field: string, value: unknown, detail: string): FieldError => ({ field, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${show(value)}: ${detail}` }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): FieldError => ({
    field, reason: 'FieldValueNotSupported', message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  }),
  duplicate: (field: string, value: unknown): FieldError => ({ field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${show(value)}` }),
  forbidden: (field: string, detail: string): FieldError => ({ field, reason: 'FieldValueForbidden', message: `Forbidden: ${detail}` }),
  tooLong: (field: string, max: number, unit = 'characters'): FieldError => ({ field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${max} ${unit}` }),
  notFound: (field: string, value: unknown): FieldError => ({ field, reason: 'FieldValueNotFound', message: `Not found: ${show(value)}` }),
};
