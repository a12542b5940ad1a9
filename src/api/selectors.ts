// Label and field selectors, parsed from their Kubernetes text form
// (`app=web,tier!=db,env in (prod,staging),!legacy`) or from a LabelSelector object.

import { StatusError } from './status.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** Requirements ANDed together; no requirements selects everything. */
export interface LabelSelector {
  requirements: Requirement[];
}

/** The object form used in specs (Deployment.spec.selector, Service uses plain matchLabels). */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export const everything: LabelSelector = { requirements: [] };

const labelKeyRe = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why a label key is invalid, or undefined if it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  if (!labelKeyRe.test(key)) return 'must be an optional DNS subdomain prefix and "/", then a name of alphanumerics, "-", "_" or "." that starts and ends with an alphanumeric';
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix.length > 253) return 'prefix must be no more than 253 characters';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  return undefined;
}

/** Why a label value is invalid, or undefined if it is valid. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!labelValueRe.test(value)) return 'must be empty or alphanumerics, "-", "_" or "." starting and ending with an alphanumeric';
  return undefined;
}

function invalid(text: string, why: string): StatusError {
  return new StatusError('BadRequest', `unable to parse requirement: invalid label selector "${text}": ${why}`);
}

/** Split on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

function checkKey(text: string, key: string): void {
  const p = labelKeyProblem(key);
  if (p) throw invalid(text, `key "${key}" ${p}`);
}

function checkValue(text: string, value: string): void {
  const p = labelValueProblem(value);
  if (p) throw invalid(text, `value "${value}" ${p}`);
}

const setRe = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const cmpRe = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(\S*)$/;

function parseTerm(text: string, term: string): Requirement {
  if (term.startsWith('!')) {
    const key = term.slice(1).trim();
    checkKey(text, key);
    return { key, operator: 'DoesNotExist', values: [] };
  }
  const set = setRe.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    checkKey(text, key);
    const values = list.split(',').map((v) => v.trim()).filter((v) => v !== '');
    values.forEach((v) => checkValue(text, v));
    if (values.length === 0) throw invalid(text, `"${op}" needs at least one value`);
    return { key, operator: op === 'in' ? 'In' : 'NotIn', values: [...new Set(values)].sort() };
  }
  const cmp = cmpRe.exec(term);
  if (cmp) {
    const [, key = '', op, value = ''] = cmp;
    checkKey(text, key);
    if (op === '<' || op === '>') {
      if (!/^-?\d+$/.test(value)) throw invalid(text, `"${op}" needs an integer, got "${value}"`);
      return { key, operator: op === '<' ? 'Lt' : 'Gt', values: [value] };
    }
    checkValue(text, value);
    return { key, operator: op === '!=' ? 'NotIn' : 'In', values: [value] };
  }
  checkKey(text, term);
  return { key: term, operator: 'Exists', values: [] };
}

/** Parse the text form used by `?labelSelector=` and `-l`. Throws StatusError(BadRequest). */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (text === undefined || text.trim() === '') return everything;
  const requirements = splitTerms(text).map((term) => {
    if (term === '') throw invalid(text, 'empty term');
    return parseTerm(text, term);
  });
  return { requirements };
}

/** Build a selector from its object form. Throws StatusError(BadRequest) on a bad operator. */
export function labelSelectorFromSpec(spec: LabelSelectorSpec | undefined): LabelSelector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(spec?.matchLabels ?? {})) requirements.push({ key, operator: 'In', values: [value] });
  for (const e of spec?.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'].includes(e.operator)) {
      throw new StatusError('BadRequest', `invalid label selector operator "${e.operator}" for key "${e.key}"`);
    }
    requirements.push({ key: e.key, operator: e.operator as Operator, values: e.values ?? [] });
  }
  return { requirements };
}

export function requirementMatches(r: Requirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'In': return v !== undefined && r.values.includes(v);
    case 'NotIn': return v === undefined || !r.values.includes(v);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt':
    case 'Lt': {
      if (v === undefined || !/^-?\d+$/.test(v) || r.values.length !== 1) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
  }
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return sel.requirements.every((r) => requirementMatches(r, labels));
}

export function isEverything(sel: LabelSelector): boolean {
  return sel.requirements.length === 0;
}

/** Back to text form (for CLI output and query strings). */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.requirements.map((r) => {
    switch (r.operator) {
      case 'In': return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
      case 'NotIn': return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
      case 'Exists': return r.key;
      case 'DoesNotExist': return `!${r.key}`;
      case 'Gt': return `${r.key}>${r.values[0]}`;
      case 'Lt': return `${r.key}<${r.values[0]}`;
    }
  }).join(',');
}

// ---- field selectors -------------------------------------------------------------------

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

/** Parse `metadata.name=x,status.phase!=Running`. Fields are checked against `supported`. */
export function parseFieldSelector(text: string | undefined, supported: readonly string[]): FieldSelector {
  if (text === undefined || text.trim() === '') return { requirements: [] };
  const requirements = text.split(',').map((raw) => {
    const term = raw.trim();
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new StatusError('BadRequest', `invalid field selector "${text}": term "${term}" is not of the form field=value or field!=value`);
    const [, field = '', op, value = ''] = m;
    if (!supported.includes(field)) {
      throw new StatusError('BadRequest', `field label not supported: "${field}" (supported: ${supported.join(', ')})`);
    }
    return { field, operator: op === '!=' ? '!=' as const : '=' as const, value };
  });
  return { requirements };
}

/** Read a dotted path such as `spec.nodeName` from an object, as a string ('' when absent). */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur as string | number | boolean);
}

export function matchesFields(sel: FieldSelector, obj: unknown): boolean {
  return sel.requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}
