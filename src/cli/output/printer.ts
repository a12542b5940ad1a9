// Turns objects into what `get` prints: tables, YAML, JSON or names.
import { stringify } from 'yaml';
import type { ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import { columnsFor } from './columns.js';
import { labelsText, str } from './fields.js';
import { objectRef } from './names.js';

export const outputFormats = ['wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = 'table' | (typeof outputFormats)[number];

export interface TableOptions {
  wide?: boolean;
  showLabels?: boolean;
  /** Adds a NAMESPACE column (with `-A`). */
  withNamespace?: boolean;
  /** Names as `pod/x` (when several kinds share one output, as in `get all`). */
  kindPrefix?: boolean;
  now?: number;
}

export function tableHeader(rt: ResourceType, opts: TableOptions): string[] {
  const cols = columnsFor(rt.kind);
  return [
    ...(opts.withNamespace && rt.namespaced ? ['NAMESPACE'] : []),
    ...cols.headers,
    ...(opts.wide ? cols.wide : []),
    ...(opts.showLabels ? ['LABELS'] : []),
  ];
}

export function tableRow(rt: ResourceType, obj: KObject, opts: TableOptions): string[] {
  const cols = columnsFor(rt.kind);
  const { cells, wide } = cols.row(obj, opts.now ?? Date.now());
  if (opts.kindPrefix && cols.headers[0] === 'NAME') cells[0] = objectRef(rt, obj.metadata.name);
  return [
    ...(opts.withNamespace && rt.namespaced ? [str(obj.metadata.namespace)] : []),
    ...cells,
    ...(opts.wide ? wide : []),
    ...(opts.showLabels ? [labelsText(obj.metadata.labels)] : []),
  ];
}

/** One object as itself; several (or a list request) as a `kind: List`, as kubectl does. */
export function asDocument(objs: readonly KObject[], single: boolean): unknown {
  if (single && objs.length === 1) return objs[0];
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objs };
}

export function formatYaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0 });
}

export function formatJson(doc: unknown): string {
  return `${JSON.stringify(doc, null, 4)}\n`;
}
