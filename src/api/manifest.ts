// Reading manifests (files given to `apply -f`) and request bodies: YAML or JSON, with errors
// that point at the place: `deploy.yaml:12:5: ...`.

import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { StatusError } from './status.js';
import type { KObject } from './types.js';
import { isPlainObject } from './schema-walk.js';

/** A manifest or body that cannot be read; the message names source, line and column when known. */
export class ManifestError extends StatusError {
  readonly source: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(source: string, message: string, line?: number, column?: number) {
    super('BadRequest', line !== undefined ? `${source}:${line}:${column ?? 1}: ${message}` : `${source}: ${message}`);
    this.name = 'ManifestError';
    this.source = source;
    this.line = line;
    this.column = column;
  }
}

// Aliases (`*x`) are allowed but bounded, so a "billion laughs" document cannot blow up memory.
const toJsOptions = { maxAliasCount: 100 };

function readDocuments(text: string, source: string): { docs: Document.Parsed[]; lc: LineCounter } {
  const lc = new LineCounter();
  // YAML 1.1, as Kubernetes' decoder reads it: `defaultMode: 0644` is octal 420, `yes` a boolean.
  // A repeated key is an error, as in Kubernetes; merge keys (`<<`) are allowed.
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true, version: '1.1' });
  const list = Array.isArray(docs) ? docs : [];
  for (const d of list) {
    const err = d.errors[0];
    if (err) {
      const pos = lc.linePos(err.pos[0]);
      throw new ManifestError(source, err.message, pos.line, pos.col);
    }
  }
  return { docs: list, lc };
}

function toJS(doc: Document.Parsed, source: string, lc: LineCounter): unknown {
  try {
    return doc.toJS(toJsOptions);
  } catch (e) {
    const pos = lc.linePos(doc.range[0]);
    throw new ManifestError(source, (e as Error).message, pos.line, pos.col);
  }
}

function checkObject(v: unknown, source: string, where: string, line?: number): KObject {
  if (!isPlainObject(v)) {
    const what = Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`;
    throw new ManifestError(source, `${where} is ${what}, not an object with apiVersion and kind`, line, 1);
  }
  for (const f of ['apiVersion', 'kind']) {
    if (typeof v[f] !== 'string' || v[f] === '') throw new ManifestError(source, `${where} has no "${f}"`, line, 1);
  }
  if (v.metadata === undefined) v.metadata = {};
  return v as KObject;
}

/** `kind: List` (and `*List`, as `kubectl get -o yaml` writes) is flattened into its items. */
function flatten(obj: KObject, source: string, where: string, line?: number): KObject[] {
  if (!(obj.kind === 'List' || (obj.kind.endsWith('List') && Array.isArray(obj.items)))) return [obj];
  if (!Array.isArray(obj.items)) throw new ManifestError(source, `${where} is a List without "items"`, line, 1);
  return obj.items.flatMap((item, i) => flatten(checkObject(item, source, `${where}, item ${i + 1}`, line), source, `${where}, item ${i + 1}`, line));
}

/**
 * All objects in a manifest text: multi-document YAML or JSON, empty documents skipped, Lists
 * flattened. Throws ManifestError naming `source`, line and column (or the document number).
 */
export function parseManifests(text: string, source: string): KObject[] {
  const { docs, lc } = readDocuments(text, source);
  const out: KObject[] = [];
  docs.forEach((doc, i) => {
    if (doc.contents === null) return;
    const line = lc.linePos(doc.contents.range?.[0] ?? doc.range[0]).line;
    const where = `document ${i + 1}`;
    const value = toJS(doc, source, lc);
    if (value === null || value === undefined) return;
    out.push(...flatten(checkObject(value, source, where, line), source, where, line));
  });
  return out;
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const at = /at position (\d+)/.exec(msg);
    let pos: { line: number; column: number };
    if (lc) pos = { line: Number(lc[1]), column: Number(lc[2]) };
    else pos = lineColumn(text, at ? Number(at[1]) : text.length);
    const clean = msg.replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)/, '');
    throw new ManifestError(source, `invalid JSON: ${clean}`, pos.line, pos.column);
  }
}

/**
 * One value from a request body: JSON (`application/json`, `*+json`) or YAML (`*yaml`).
 * Returns whatever the document holds (patches may be lists); callers check the kind.
 */
export function parseBody(text: string, contentType: string, source = 'request body'): unknown {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (!type.includes('yaml')) return parseJson(text, source);
  const { docs, lc } = readDocuments(text, source);
  const nonEmpty = docs.filter((d) => d.contents !== null);
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1]!;
    const pos = lc.linePos(second.range[0]);
    throw new ManifestError(source, `expected one document, found ${nonEmpty.length}`, pos.line, pos.col);
  }
  const doc = nonEmpty[0];
  if (!doc) throw new ManifestError(source, 'the body is empty');
  return toJS(doc, source, lc);
}
