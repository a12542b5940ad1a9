// Semantic checks of the envelope: apiVersion/kind, metadata (names, labels, owners).

import { asArr, asObj, asStr, checkAnnotations, checkLabels } from './checks.js';
import { child, fieldError, index } from './field-errors.js';
import { dns1123LabelProblem, generateNameProblem, nameProblem } from './names.js';
import type { ResourceType } from './registry.js';
import type { FieldError } from './types.js';

export function validateTypeMeta(rt: ResourceType, obj: Record<string, unknown>): FieldError[] {
  const out: FieldError[] = [];
  if (typeof obj.apiVersion === 'string' && obj.apiVersion !== rt.apiVersion) out.push(fieldError.notSupported('apiVersion', obj.apiVersion, [rt.apiVersion]));
  if (typeof obj.kind === 'string' && obj.kind !== rt.kind) out.push(fieldError.notSupported('kind', obj.kind, [rt.kind]));
  return out;
}

/** Labels and annotations of any ObjectMeta (also a pod template's). */
export function validateMetaMaps(meta: unknown, path: string): FieldError[] {
  const m = asObj(meta);
  return [...checkLabels(m.labels, child(path, 'labels')), ...checkAnnotations(m.annotations, child(path, 'annotations'))];
}

function validateOwners(meta: Record<string, unknown>): FieldError[] {
  const out: FieldError[] = [];
  let controllers = 0;
  asArr(meta.ownerReferences).forEach((raw, i) => {
    const o = asObj(raw);
    const p = index('metadata.ownerReferences', i);
    for (const f of ['apiVersion', 'kind', 'name', 'uid']) if (o[f] === '') out.push(fieldError.invalid(child(p, f), '', `${f} must not be empty`));
    if (o.controller === true) controllers++;
  });
  if (controllers > 1) out.push(fieldError.invalid('metadata.ownerReferences', controllers, 'Only one reference can have Controller set to true'));
  return out;
}

export function validateObjectMeta(rt: ResourceType, meta: unknown): FieldError[] {
  if (meta === undefined) return [];
  const m = asObj(meta);
  const out: FieldError[] = [];
  const name = asStr(m.name);
  const generateName = asStr(m.generateName);
  if (name) {
    const p = nameProblem(rt.kind, name);
    if (p) out.push(fieldError.invalid('metadata.name', name, p));
  } else if (generateName) {
    const p = generateNameProblem(rt.kind, generateName);
    if (p) out.push(fieldError.invalid('metadata.generateName', generateName, p));
  } else if (m.name === undefined || m.name === '') {
    out.push(fieldError.required('metadata.name', 'name or generateName is required'));
  }
  const ns = asStr(m.namespace);
  if (ns) {
    if (!rt.namespaced) out.push(fieldError.forbidden('metadata.namespace', 'not allowed on this type'));
    else if (dns1123LabelProblem(ns)) out.push(fieldError.invalid('metadata.namespace', ns, dns1123LabelProblem(ns)!));
  }
  out.push(...validateMetaMaps(m, 'metadata'));
  out.push(...validateOwners(m));
  return out;
}
