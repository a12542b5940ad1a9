// What an update may not change. `next` is the object to be stored, `prev` the stored one.

import { isDeepStrictEqual } from 'node:util';
import { asArr, asObj } from './checks.js';
import { fieldError } from './field-errors.js';
import type { ResourceType } from './registry.js';
import { dropNulls } from './schema-walk.js';
import type { FieldError, KObject } from './types.js';
import { withoutNulls } from './validation-nulls.js';

type Obj = Record<string, unknown>;

const immutableMsg = 'field is immutable';

function immutable(field: string, next: unknown, prev: unknown): FieldError[] {
  return isDeepStrictEqual(next, prev) ? [] : [fieldError.invalid(field, next ?? null, immutableMsg)];
}

function metaUpdate(next: KObject, prev: KObject): FieldError[] {
  const n = next.metadata;
  const p = prev.metadata;
  return [
    ...immutable('metadata.name', n.name, p.name),
    ...immutable('metadata.namespace', n.namespace || undefined, p.namespace || undefined),
    ...(p.uid !== undefined ? immutable('metadata.uid', n.uid, p.uid) : []),
    ...(p.creationTimestamp !== undefined ? immutable('metadata.creationTimestamp', n.creationTimestamp, p.creationTimestamp) : []),
  ];
}

const podMutable = 'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, '
  + '`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.nodeName` (only set once, when binding)';

/** The first path where two values differ, for a readable "pod updates may not change" message. */
function firstDiff(a: unknown, b: unknown, path: string): string {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) if (!isDeepStrictEqual(a[i], b[i])) return firstDiff(a[i], b[i], `${path}[${i}]`);
    return path;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const x = (a as Obj)[k];
      const y = (b as Obj)[k];
      if (!isDeepStrictEqual(x, y)) return firstDiff(x, y, `${path}.${k}`);
    }
  }
  return path;
}

function withImagesFrom(next: unknown, prev: unknown): unknown[] {
  const p = asArr(prev);
  return asArr(next).map((c, i) => (i < p.length ? { ...asObj(c), image: asObj(p[i]).image } : c));
}

function podUpdate(next: KObject, prev: KObject): FieldError[] {
  // The same spec object (a status update, a metadata change): nothing in it changed.
  if (next.spec === prev.spec) return [];
  const n = asObj(withoutNulls(next.spec));
  const p = asObj(withoutNulls(prev.spec));
  const out: FieldError[] = [];
  const nd = n.activeDeadlineSeconds;
  const pd = p.activeDeadlineSeconds;
  if (pd !== undefined && (nd === undefined || (typeof nd === 'number' && typeof pd === 'number' && nd > pd))) {
    out.push(fieldError.invalid('spec.activeDeadlineSeconds', nd ?? null, 'must be less than or equal to the previous value and may not be removed'));
  }
  const prevTolerations = asArr(p.tolerations);
  const nextTolerations = asArr(n.tolerations);
  const removed = prevTolerations.some((t) => !nextTolerations.some((x) => isDeepStrictEqual(x, t)));
  const comparable = {
    ...n,
    containers: withImagesFrom(n.containers, p.containers),
    initContainers: n.initContainers === undefined ? undefined : withImagesFrom(n.initContainers, p.initContainers),
    activeDeadlineSeconds: pd,
    tolerations: removed ? n.tolerations : p.tolerations,
    nodeName: p.nodeName === undefined || p.nodeName === '' ? p.nodeName : n.nodeName,
  };
  const cleaned = dropNulls(JSON.parse(JSON.stringify(comparable)) as Obj);
  if (!isDeepStrictEqual(cleaned, p)) {
    const where = firstDiff(cleaned, p, 'spec');
    out.push(fieldError.forbidden('spec', `${podMutable}: changed ${where}`));
  }
  return out;
}

function selectorUpdate(next: KObject, prev: KObject): FieldError[] {
  return immutable('spec.selector', asObj(next.spec).selector, asObj(prev.spec).selector);
}

function serviceUpdate(next: KObject, prev: KObject): FieldError[] {
  const p = asObj(prev.spec);
  const n = asObj(next.spec);
  if (typeof p.clusterIP !== 'string' || p.clusterIP === '') return [];
  return immutable('spec.clusterIP', n.clusterIP, p.clusterIP);
}

function immutableData(fields: string[]) {
  return (next: KObject, prev: KObject): FieldError[] => {
    if (prev.immutable !== true) return [];
    const detail = 'field is immutable when `immutable` is set';
    const out: FieldError[] = [];
    if (next.immutable !== true) out.push(fieldError.forbidden('immutable', detail));
    for (const f of fields) if (!isDeepStrictEqual(next[f], prev[f])) out.push(fieldError.forbidden(f, detail));
    return out;
  };
}

function secretUpdate(next: KObject, prev: KObject): FieldError[] {
  return [
    ...immutable('type', next.type ?? 'Opaque', prev.type ?? 'Opaque'),
    ...immutableData(['data', 'stringData'])(next, prev),
  ];
}

const byKind: Partial<Record<string, (next: KObject, prev: KObject) => FieldError[]>> = {
  Pod: podUpdate,
  Deployment: selectorUpdate,
  ReplicaSet: selectorUpdate,
  DaemonSet: selectorUpdate,
  Service: serviceUpdate,
  ConfigMap: immutableData(['data', 'binaryData']),
  Secret: secretUpdate,
};

/** Errors for changes an update may not make (immutable fields), FieldValueInvalid or FieldValueForbidden. */
export function validateUpdate(rt: ResourceType, next: KObject, prev: KObject): FieldError[] {
  return [...metaUpdate(next, prev), ...(byKind[rt.kind]?.(next, prev) ?? [])];
}
