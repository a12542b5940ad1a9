// Navigating a value alongside its typebox (JSON) schema: which schema applies to a child,
// which union member describes a value. Used for unknown fields, pruning, error paths and
// the format checks, so all of them agree on the shape.

import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

interface JsonSchema {
  type?: string;
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  additionalProperties?: boolean | TSchema;
  items?: TSchema;
  anyOf?: TSchema[];
}

const view = (s: TSchema): JsonSchema => s as unknown as JsonSchema;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** For a union, the member that best describes `value`: one it satisfies, else one of the same JSON type. */
export function resolveUnion(schema: TSchema, value: unknown): TSchema {
  const members = view(schema).anyOf;
  if (!members) return schema;
  const exact = members.find((m) => Value.Check(m, value));
  if (exact) return exact;
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return members.find((m) => view(m).type === type) ?? schema;
}

export type ChildKind = 'property' | 'mapKey' | 'open' | 'unknown';

/** The schema of `obj[key]` and how the key relates to the schema. */
export function childOf(schema: TSchema, k: string): { schema: TSchema | undefined; kind: ChildKind } {
  const s = view(schema);
  const prop = s.properties?.[k];
  if (prop) return { schema: prop, kind: 'property' };
  const pattern = s.patternProperties ? Object.values(s.patternProperties)[0] : undefined;
  if (pattern) return { schema: pattern, kind: 'mapKey' };
  if (s.additionalProperties === false) return { schema: undefined, kind: 'unknown' };
  if (typeof s.additionalProperties === 'object') return { schema: s.additionalProperties, kind: 'mapKey' };
  return { schema: undefined, kind: 'open' };
}

export function itemsOf(schema: TSchema): TSchema | undefined {
  return view(schema).items;
}

export function isObjectSchema(schema: TSchema): boolean {
  return view(schema).type === 'object';
}

/** Copy of `v` with every null removed: Kubernetes treats a null field as an absent one. */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(dropNulls) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
    return out as T;
  }
  return v;
}
