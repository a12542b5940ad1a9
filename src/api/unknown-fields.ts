// Fields a schema does not know: listed for `fieldValidation=Strict|Warn`, removed for `Ignore|Warn`.

import type { TSchema } from '@sinclair/typebox';
import { child, index, key } from './field-errors.js';
import type { ResourceType } from './registry.js';
import { childOf, dropNulls, isPlainObject, itemsOf, resolveUnion } from './schema-walk.js';
import type { KObject } from './types.js';

function walk(schema: TSchema, value: unknown, path: string, found: string[]): void {
  const s = resolveUnion(schema, value);
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (items) value.forEach((v, i) => walk(items, v, index(path, i), found));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const c = childOf(s, k);
    if (c.kind === 'unknown') found.push(child(path, k));
    else if (c.schema) walk(c.schema, v, c.kind === 'mapKey' ? key(path, k) : child(path, k), found);
  }
}

/** Paths of fields the kind's schema does not define, e.g. `spec.containers[0].imagee`. Nulls count as absent. */
export function findUnknownFields(rt: ResourceType, obj: unknown): string[] {
  const found: string[] = [];
  walk(rt.schema, dropNulls(obj), '', found);
  return found;
}

function prune(schema: TSchema, value: unknown): unknown {
  const s = resolveUnion(schema, value);
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    return items ? value.map((v) => prune(items, v)) : value;
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const c = childOf(s, k);
    if (c.kind === 'unknown') continue;
    out[k] = c.schema ? prune(c.schema, v) : v;
  }
  return out;
}

/** A copy of `obj` without unknown fields (and without nulls); the input is not changed. */
export function pruneUnknownFields(rt: ResourceType, obj: KObject): KObject {
  return prune(rt.schema, dropNulls(obj)) as KObject;
}
