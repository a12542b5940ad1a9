// Schema (shape and type) errors from typebox, turned into Kubernetes-style FieldErrors.
// Unknown fields are not reported here: findUnknownFields does that, per fieldValidation mode.

import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { child, fieldError, index, key } from './field-errors.js';
import { childOf, isPlainObject, itemsOf, resolveUnion } from './schema-walk.js';
import type { FieldError } from './types.js';

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** JSON pointer `/spec/containers/0/image` → `spec.containers[0].image`, map keys as `[key]`. */
export function pointerToPath(root: TSchema, value: unknown, pointer: string): string {
  let path = '';
  let schema: TSchema | undefined = root;
  let cur: unknown = value;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = unescapePointer(raw);
    const s: TSchema | undefined = schema ? resolveUnion(schema, cur) : undefined;
    if (Array.isArray(cur)) {
      path = index(path, Number(seg));
      schema = s ? itemsOf(s) : undefined;
      cur = cur[Number(seg)];
      continue;
    }
    const c = s ? childOf(s, seg) : { schema: undefined, kind: 'unknown' as const };
    path = c.kind === 'mapKey' ? key(path, seg) : child(path, seg);
    schema = c.schema;
    cur = isPlainObject(cur) ? cur[seg] : undefined;
  }
  return path;
}

interface SchemaView {
  anyOf?: { const?: unknown }[];
  minimum?: number;
  maximum?: number;
  [k: string]: unknown;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describe(e: ValueError, field: string): FieldError {
  const s = e.schema as unknown as SchemaView;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return fieldError.required(field);
    case ValueErrorType.Union: {
      const consts = s.anyOf?.map((m) => m.const);
      if (consts && consts.length > 0 && consts.every((c) => typeof c === 'string')) return fieldError.notSupported(field, e.value, consts as string[]);
      if (s['x-kubernetes-int-or-string']) return fieldError.typeInvalid(field, e.value, 'must be an integer or a string');
      if (s['x-bramble-format'] === 'quantity') return fieldError.typeInvalid(field, e.value, 'must be a quantity such as "250m" or "128Mi"');
      return fieldError.typeInvalid(field, e.value, e.message);
    }
    case ValueErrorType.String:
      return fieldError.typeInvalid(field, e.value, `must be a string, not ${typeName(e.value)}`);
    case ValueErrorType.Boolean:
      return fieldError.typeInvalid(field, e.value, `must be a boolean, not ${typeName(e.value)}`);
    case ValueErrorType.Integer:
      return fieldError.typeInvalid(field, e.value, 'must be an integer');
    case ValueErrorType.Number:
      return fieldError.typeInvalid(field, e.value, 'must be a number');
    case ValueErrorType.Object:
      return fieldError.typeInvalid(field, e.value, `must be an object, not ${typeName(e.value)}`);
    case ValueErrorType.Array:
      return fieldError.typeInvalid(field, e.value, `must be a list, not ${typeName(e.value)}`);
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return fieldError.invalid(field, e.value, `must be greater than or equal to ${s.minimum}`);
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return fieldError.invalid(field, e.value, `must be less than or equal to ${s.maximum}`);
    case ValueErrorType.Literal:
      return fieldError.notSupported(field, e.value, [String(s.const)]);
    default:
      return fieldError.invalid(field, e.value, e.message);
  }
}

// Most objects are valid: a compiled check answers that in microseconds, and only a failing
// object pays for the interpreted walk that collects every error with its path.
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

export function compiledCheck(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

/** Shape errors of `value` against `schema`, one per field, in schema order. */
export function schemaErrors(schema: TSchema, value: unknown): FieldError[] {
  if (compiledCheck(schema).Check(value)) return [];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, value)) {
    if (e.type === ValueErrorType.ObjectAdditionalProperties) continue;
    // One message per field: a missing property also fails its type check.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    out.push(describe(e, pointerToPath(schema, value, e.path) || '<root>'));
  }
  return out;
}
