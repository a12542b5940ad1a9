// `bramble get`: list or fetch objects and print them as kubectl does; `-w` keeps printing changes.
import type { ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import { connect, interruptSignal, type GlobalOptions } from '../context.js';
import { CliError, isNotFound, printError } from '../errors.js';
import { parseTargets, type Target } from '../kinds.js';
import { objectRef } from '../output/names.js';
import { asDocument, formatJson, formatYaml, outputFormats, tableHeader, tableRow, type OutputFormat, type TableOptions } from '../output/printer.js';
import { columnWidths, renderRow, renderTable } from '../output/table.js';
import { watchLoop } from '../watch-loop.js';

export interface GetFlags {
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
  showLabels?: boolean;
  allNamespaces?: boolean;
}

export function parseOutput(o: string | undefined): OutputFormat {
  if (o === undefined) return 'table';
  if ((outputFormats as readonly string[]).includes(o)) return o as OutputFormat;
  throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${[...outputFormats].sort().join(',')}`);
}

interface Fetched { rt: ResourceType; items: KObject[] }

async function fetchTarget(client: ApiClient, t: Target, ns: string | undefined, flags: GetFlags): Promise<{ fetched: Fetched; failed: boolean; rv: string }> {
  if (t.names.length === 0) {
    const list = await client.listAll(t.rt, ns, { labelSelector: flags.selector, fieldSelector: flags.fieldSelector });
    return { fetched: { rt: t.rt, items: list.items }, failed: false, rv: list.metadata.resourceVersion };
  }
  const items: KObject[] = [];
  let failed = false;
  for (const name of t.names) {
    try {
      items.push(await client.get(t.rt, ns, name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // kubectl reports each missing name and still prints the ones it found.
      printError(err);
      failed = true;
    }
  }
  return { fetched: { rt: t.rt, items }, failed, rv: '' };
}

function printOnce(results: Fetched[], format: OutputFormat, table: TableOptions, single: boolean): void {
  const all = results.flatMap((r) => r.items);
  if (format === 'yaml') { if (all.length > 0 || !single) process.stdout.write(formatYaml(asDocument(all, single))); return; }
  if (format === 'json') { if (all.length > 0 || !single) process.stdout.write(formatJson(asDocument(all, single))); return; }
  if (format === 'name') { for (const r of results) for (const o of r.items) process.stdout.write(`${objectRef(r.rt, o.metadata.name)}\n`); return; }
  const blocks = results.filter((r) => r.items.length > 0).map((r) => renderTable([tableHeader(r.rt, table), ...r.items.map((o) => tableRow(r.rt, o, table))]).join('\n'));
  if (blocks.length > 0) process.stdout.write(`${blocks.join('\n\n')}\n`);
}

function noResourcesMessage(rts: ResourceType[], ns: string | undefined): string {
  return ns === undefined || rts.every((rt) => !rt.namespaced) ? 'No resources found' : `No resources found in ${ns} namespace.`;
}

async function watchTarget(client: ApiClient, fetched: Fetched, name: string | undefined, ns: string | undefined, rv: string, flags: GetFlags, format: OutputFormat, table: TableOptions): Promise<void> {
  const { rt } = fetched;
  // Rows keep the column widths of what was printed before, growing only when a cell needs it.
  let widths = columnWidths([tableHeader(rt, table), ...fetched.items.map((o) => tableRow(rt, o, table))]);
  const print = (obj: KObject): void => {
    if (format === 'yaml') process.stdout.write(`---\n${formatYaml(obj)}`);
    else if (format === 'json') process.stdout.write(formatJson(obj));
    else if (format === 'name') process.stdout.write(`${objectRef(rt, obj.metadata.name)}\n`);
    else {
      const row = tableRow(rt, obj, { ...table, now: Date.now() });
      widths = columnWidths([row], widths);
      process.stdout.write(`${renderRow(row, widths)}\n`);
    }
  };
  // `get pod x -w` follows just that object.
  const byName = name === undefined ? flags.fieldSelector : [`metadata.name=${name}`, flags.fieldSelector].filter(Boolean).join(',');
  const interrupt = interruptSignal();
  try {
    await watchLoop(client, rt, ns, rv, {
      labelSelector: flags.selector,
      fieldSelector: byName,
      signal: interrupt.signal,
      onEvent: (_type, obj) => print(obj),
      onRelist: (items) => items.forEach(print),
    });
  } finally {
    interrupt.dispose();
  }
}

export async function runGet(args: string[], g: GlobalOptions, flags: GetFlags): Promise<number> {
  const targets = parseTargets(args);
  const format = parseOutput(flags.output);
  const named = targets.some((t) => t.names.length > 0);
  if (named && flags.allNamespaces) throw new CliError('a resource cannot be retrieved by name across all namespaces');
  if (flags.watch && (targets.length !== 1 || targets[0]!.names.length > 1)) throw new CliError('watch is only supported on a single resource type and at most one name');
  const { client, namespace } = connect(g);
  const ns = flags.allNamespaces ? undefined : namespace;
  const table: TableOptions = { wide: format === 'wide', showLabels: flags.showLabels, withNamespace: flags.allNamespaces, kindPrefix: targets.length > 1, now: Date.now() };

  let failed = false;
  const results: Fetched[] = [];
  let rv = '';
  for (const t of targets) {
    const r = await fetchTarget(client, t, ns, flags);
    results.push(r.fetched);
    failed ||= r.failed;
    rv = r.rv;
  }
  const single = targets.length === 1 && targets[0]!.names.length === 1;
  printOnce(results, format, table, single);
  if (!named && results.every((r) => r.items.length === 0) && (format === 'table' || format === 'wide')) {
    process.stderr.write(`${noResourcesMessage(targets.map((t) => t.rt), ns)}\n`);
  }
  if (flags.watch) {
    const fetched = results[0]!;
    if (rv === '') rv = fetched.items[0]?.metadata.resourceVersion ?? '';
    if (format === 'table' || format === 'wide') {
      // With nothing printed yet, the header comes first so the rows that follow have a title.
      if (fetched.items.length === 0) process.stdout.write(`${renderTable([tableHeader(fetched.rt, table)]).join('\n')}\n`);
    }
    if (failed) return 1;
    await watchTarget(client, fetched, targets[0]!.names[0], ns, rv, flags, format, table);
  }
  return failed ? 1 : 0;
}
