// Validation of API objects: schema (shape), semantics (names, ports, references, ...),
// unknown fields, and what an update may change. Errors are Kubernetes-style FieldErrors.

import { checkFormats } from './checks.js';
import { fieldError } from './field-errors.js';
import { dns1123LabelProblem, nameProblem } from './names.js';
import type { ResourceType } from './registry.js';
import { dropNulls, isPlainObject } from './schema-walk.js';
import type { FieldError } from './types.js';
import { validateKind } from './validate-kinds.js';
import { validateObjectMeta, validateTypeMeta } from './validate-meta.js';
import { schemaErrors } from './validate-schema.js';

export { findUnknownFields, pruneUnknownFields } from './unknown-fields.js';
export { validateUpdate } from './validate-update.js';

/**
 * All problems of `obj` as an object of kind `rt`, schema errors first, then semantic ones, in a
 * stable order. Unknown fields are not errors here (see findUnknownFields). Nulls count as absent.
 */
export function validateObject(rt: ResourceType, obj: unknown): FieldError[] {
  if (!isPlainObject(obj)) return [fieldError.typeInvalid('<root>', obj, `must be a ${rt.kind} object`)];
  const o = dropNulls(obj);
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
