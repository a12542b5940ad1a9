// Validation of API objects: schema (shape), semantics (names, ports, references, ...),
// unknown fields, and what an update may change. Errors are Kubernetes-style FieldErrors.

import { checkFormats } from './checks.js';
import { dns1123LabelProblem, nameProblem } from './names.js';
import type { ResourceType } from './registry.js';
import { childOf, isPlainObject, itemsOf, resolveUnion } from './schema-walk.js';
import { X_FORMAT } from './meta.js';
import { fieldError } from './field-errors.js';
import { isStoredPart } from './validation-parts.js';
import type { TSchema } from '@sinclair/typebox';
import type { FieldError } from './types.js';
import { validateKind } from './validate-kinds.js';
import { validateObjectMeta, validateTypeMeta } from './validate-meta.js';
import { compiledCheck, schemaErrors } from './validate-schema.js';
import { withoutNulls } from './validation-nulls.js';

export { findUnknownFields, pruneUnknownFields } from './unknown-fields.js';
export { validateUpdate } from './validate-update.js';

/**
 * All problems of `obj` as an object of kind `rt`, schema errors first, then semantic ones, in a
 * stable order. Unknown fields are not errors here (see findUnknownFields). Nulls count as absent.
 */
export function validateObject(rt: ResourceType, obj: unknown): FieldError[] {
  if (!isPlainObject(obj)) return [fieldError.typeInvalid('<root>', obj, `must be a ${rt.kind} object`)];
  const o = withoutNulls(obj);
  // Most writes are valid, and most of a status update is the stored spec: answer "valid"
  // part by part, from what is known of stored parts, and collect errors (the full walk
  // below, unchanged) only when some part fails.
  if (isValid(rt, o)) return [];
  const errors = [
    ...schemaErrors(rt.schema, o),
    ...validateTypeMeta(rt, o),
    ...validateObjectMeta(rt, o.metadata),
    ...checkFormats(rt.schema, o, ''),
    ...validateKind(rt.kind, o),
  ];
  return dedupe(errors);
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const id = `${e.field}\u0000${e.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Why `name` cannot name an object of this kind, or undefined. */
export function validateName(rt: ResourceType, name: string): string | undefined {
  return nameProblem(rt.kind, name);
}

/** Why `name` cannot name a namespace (a DNS-1123 label), or undefined. */
export function validateNamespaceName(name: string): string | undefined {
  if (name === '') return 'name must not be empty';
  return dns1123LabelProblem(name);
}

// ---- the fast path --------------------------------------------------------------------

interface RootSchema {
  type?: string;
  required?: string[];
  properties?: Record<string, TSchema>;
  additionalProperties?: unknown;
}

/**
 * The top-level field that validateKind's checks of a kind read, when they read only one: a
 * stored (deep-frozen) value of that field that passed them once passes them forever.
 */
const kindCheckReads: Partial<Record<string, string>> = { Pod: 'spec', Node: 'spec' };

/** Per kind (its root schema) and field: stored parts known to pass every check of that field. */
const validParts = new WeakMap<TSchema, Map<string, WeakSet<object>>>();

function knownValid(root: TSchema, field: string, part: unknown): boolean {
  return typeof part === 'object' && part !== null && validParts.get(root)?.get(field)?.has(part) === true;
}

function rememberValid(root: TSchema, field: string, part: unknown): void {
  if (!isStoredPart(part)) return; // only a deep-frozen part stays valid
  let fields = validParts.get(root);
  if (!fields) validParts.set(root, (fields = new Map()));
  let set = fields.get(field);
  if (!set) fields.set(field, (set = new WeakSet()));
  set.add(part as object);
}

/**
 * True only if validateObject's full walk would find no error; false means "not known": the
 * full walk then decides. Every root schema is an object of named properties (unknown fields
 * are not this function's errors), so the root passes when its required fields are there and
 * each field passes its property's schema, format and kind checks.
 */
function isValid(rt: ResourceType, o: Record<string, unknown>): boolean {
  const root = rt.schema as unknown as RootSchema;
  if (root.type !== 'object' || !root.properties || (root.additionalProperties !== undefined && typeof root.additionalProperties !== 'boolean')) return false;
  for (const k of root.required ?? []) if (o[k] === undefined) return false;
  if (validateTypeMeta(rt, o).length > 0 || validateObjectMeta(rt, o.metadata).length > 0) return false;
  const kindField = kindCheckReads[rt.kind];
  let kindChecked = false;
  for (const k of Object.keys(o)) {
    const schema = root.properties[k];
    const v = o[k];
    if (!schema || v === undefined) continue;
    if (knownValid(rt.schema, k, v)) {
      if (k === kindField) kindChecked = true;
      continue;
    }
    if (!compiledCheck(schema).Check(v) || !formatsOk(schema, v)) return false;
    if (k === kindField) {
      if (validateKind(rt.kind, o).length > 0) return false;
      kindChecked = true;
    }
    rememberValid(rt.schema, k, v);
  }
  return kindChecked || validateKind(rt.kind, o).length === 0;
}

/**
 * checkFormats(schema, value, path) would find nothing (true), or might (false). The same walk,
 * but it skips every subtree whose schema has no format anywhere in it (most of a status: a
 * Node's images, conditions, nodeInfo), and it makes no error objects.
 */
function formatsOk(schema: TSchema, value: unknown): boolean {
  if (!hasFormats(schema)) return true;
  if ((schema as Record<string, unknown>)[X_FORMAT] !== undefined) return checkFormats(schema, value, '').length === 0;
  const s = resolveUnion(schema, value);
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    return items === undefined || value.every((v) => formatsOk(items, v));
  }
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      const c = childOf(s, k).schema;
      if (c && !formatsOk(c, value[k])) return false;
    }
  }
  return true;
}

interface SchemaEdges {
  anyOf?: TSchema[];
  items?: TSchema;
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  additionalProperties?: unknown;
}

const formatsIn = new WeakMap<TSchema, boolean>();

/** Whether a format (X_FORMAT) is set on `schema` or anywhere checkFormats could reach from it. */
function hasFormats(schema: TSchema): boolean {
  const known = formatsIn.get(schema);
  if (known !== undefined) return known;
  formatsIn.set(schema, true); // while being worked out (a recursive schema): assume it has
  const s = schema as unknown as SchemaEdges;
  const children: TSchema[] = [
    ...(s.anyOf ?? []),
    ...(s.items ? [s.items] : []),
    ...Object.values(s.properties ?? {}),
    ...Object.values(s.patternProperties ?? {}),
    ...(typeof s.additionalProperties === 'object' && s.additionalProperties !== null ? [s.additionalProperties as TSchema] : []),
  ];
  const result = (schema as Record<string, unknown>)[X_FORMAT] !== undefined || children.some(hasFormats);
  formatsIn.set(schema, result);
  return result;
}
