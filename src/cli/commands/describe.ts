// `bramble describe`: a readable summary of objects, with the Events about them.
import { resourceByName, type ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import { connect, type GlobalOptions } from '../context.js';
import { CliError, isNotFound, printError } from '../errors.js';
import { parseTargets } from '../kinds.js';
import { describeObject } from '../output/describe.js';

export interface DescribeFlags {
  selector?: string;
  allNamespaces?: boolean;
}

async function eventsFor(client: ApiClient, rt: ResourceType, o: KObject): Promise<KObject[]> {
  const events = resourceByName('events')!;
  const fields = [`involvedObject.kind=${rt.kind}`, `involvedObject.name=${o.metadata.name ?? ''}`];
  if (rt.namespaced) fields.push(`involvedObject.namespace=${o.metadata.namespace ?? ''}`);
  try {
    // Events about cluster-scoped objects (nodes) may be recorded in any namespace.
    const list = await client.listAll(events, rt.namespaced ? o.metadata.namespace : undefined, { fieldSelector: fields.join(',') });
    const time = (e: KObject): string => String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');
    return list.items.sort((a, b) => time(a).localeCompare(time(b)));
  } catch {
    // The summary is still worth printing without its events.
    return [];
  }
}

export async function runDescribe(args: string[], g: GlobalOptions, flags: DescribeFlags): Promise<number> {
  const targets = parseTargets(args);
  const { client, namespace } = connect(g);
  const ns = flags.allNamespaces ? undefined : namespace;
  const objects: { rt: ResourceType; o: KObject }[] = [];
  let failed = false;
  for (const t of targets) {
    if (t.names.length === 0) {
      const list = await client.listAll(t.rt, ns, { labelSelector: flags.selector });
      objects.push(...list.items.map((o) => ({ rt: t.rt, o })));
      continue;
    }
    if (flags.allNamespaces) throw new CliError('a resource cannot be retrieved by name across all namespaces');
    for (const name of t.names) {
      try {
        objects.push({ rt: t.rt, o: await client.get(t.rt, ns, name) });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        printError(err);
        failed = true;
      }
    }
  }
  const now = Date.now();
  const texts: string[] = [];
  for (const { rt, o } of objects) texts.push(describeObject(rt, o, await eventsFor(client, rt, o), now));
  process.stdout.write(texts.join('\n\n'));
  if (objects.length === 0 && !failed) process.stderr.write(`No resources found in ${ns ?? 'any'} namespace.\n`);
  return failed ? 1 : 0;
}
