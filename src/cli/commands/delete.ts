// `bramble delete`: by kind and name, by selector, or everything named in manifests.
import { resourceByKind, type ResourceType } from '../../api/registry.js';
import type { ApiClient, PropagationPolicy } from '../../client/client.js';
import { connect, type GlobalOptions } from '../context.js';
import { CliError, isNotFound, printError } from '../errors.js';
import { parseTargets } from '../kinds.js';
import { readManifests } from '../manifests.js';
import { qualifiedKind } from '../output/names.js';

export interface DeleteFlags {
  filename: string[];
  selector?: string;
  all?: boolean;
  gracePeriod?: string;
  cascade?: string;
  wait?: boolean;
  timeout?: string;
  ignoreNotFound?: boolean;
}

interface Victim { rt: ResourceType; ns: string | undefined; name: string }

const cascades: Record<string, PropagationPolicy> = { background: 'Background', true: 'Background', foreground: 'Foreground', orphan: 'Orphan', false: 'Orphan' };

export function parseCascade(v: string | undefined): PropagationPolicy | undefined {
  if (v === undefined) return undefined;
  const p = cascades[v.toLowerCase()];
  if (!p) throw new CliError(`invalid cascade value "${v}": must be background, foreground or orphan`);
  return p;
}

function parseSeconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/s$/, ''));
  if (!Number.isInteger(n) || n < -1) throw new CliError(`invalid ${flag} "${v}": expected whole seconds`);
  return n;
}

async function waitGone(client: ApiClient, v: Victim, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try { await client.get(v.rt, v.ns, v.name); } catch (err) { if (isNotFound(err)) return; throw err; }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError(`timed out waiting for ${qualifiedKind(v.rt)} "${v.name}" to be deleted`);
}

async function victims(client: ApiClient, args: string[], g: GlobalOptions, ns: string, flags: DeleteFlags): Promise<Victim[]> {
  if (flags.filename.length > 0) {
    if (args.length > 0) throw new CliError('give either -f or KIND NAME..., not both');
    // Reverse order: a Namespace (or other owner) listed first goes last, after what it contains.
    return (await readManifests(flags.filename)).reverse().map(({ source, object }) => {
      const rt = resourceByKind(object.apiVersion, object.kind);
      if (!rt) throw new CliError(`resource mapping not found from "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
      return { rt, ns: rt.namespaced ? object.metadata.namespace ?? ns : undefined, name: object.metadata.name ?? '' };
    });
  }
  const out: Victim[] = [];
  for (const t of parseTargets(args)) {
    const tns = t.rt.namespaced ? ns : undefined;
    if (t.names.length > 0) { out.push(...t.names.map((name) => ({ rt: t.rt, ns: tns, name }))); continue; }
    if (!flags.selector && !flags.all) throw new CliError(`resource(s) were provided, but no name was specified: give names, -l SELECTOR or --all`);
    const list = await client.listAll(t.rt, tns, { labelSelector: flags.selector });
    out.push(...list.items.map((o) => ({ rt: t.rt, ns: o.metadata.namespace ?? tns, name: o.metadata.name ?? '' })));
  }
  return out;
}

export async function runDelete(args: string[], g: GlobalOptions, flags: DeleteFlags): Promise<number> {
  const propagationPolicy = parseCascade(flags.cascade);
  const gracePeriodSeconds = parseSeconds('--grace-period', flags.gracePeriod);
  const timeout = parseSeconds('--timeout', flags.timeout) ?? 60;
  if (args.length === 0 && flags.filename.length === 0) throw new CliError('you must specify a resource type and name, or -f FILE');
  const { client, namespace } = connect(g);
  const list = await victims(client, args, g, namespace, flags);
  if (list.length === 0) { process.stderr.write('No resources found\n'); return 0; }
  let failed = false;
  const deleted: Victim[] = [];
  for (const v of list) {
    try {
      await client.delete(v.rt, v.ns, v.name, { propagationPolicy, gracePeriodSeconds: gracePeriodSeconds === -1 ? undefined : gracePeriodSeconds });
      process.stdout.write(`${qualifiedKind(v.rt)} "${v.name}" deleted\n`);
      deleted.push(v);
    } catch (err) {
      if (flags.ignoreNotFound && isNotFound(err)) continue;
      if (err instanceof Error && err.name === 'ConnectionError') throw err;
      printError(err);
      failed = true;
    }
  }
  if (flags.wait) {
    const deadline = Date.now() + timeout * 1000;
    for (const v of deleted) await waitGone(client, v, deadline);
  }
  return failed ? 1 : 0;
}
