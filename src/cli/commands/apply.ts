// `bramble apply -f`: create what is missing, update what changed, leave the rest alone.
import { resourceByKind, type ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import { applyDecision, createdObject, updatedObject } from '../apply-diff.js';
import { connect, type GlobalOptions } from '../context.js';
import { CliError, isNotFound, printError } from '../errors.js';
import { readManifests } from '../manifests.js';
import { objectRef } from '../output/names.js';
import { StatusError } from '../../api/status.js';

export interface ApplyFlags {
  filename: string[];
}

type Outcome = 'created' | 'configured' | 'unchanged';

// A conflict means someone wrote the object between our read and our write: read again and redo the decision.
const conflictRetries = 3;

async function applyOne(client: ApiClient, rt: ResourceType, ns: string | undefined, manifest: KObject): Promise<Outcome> {
  const name = manifest.metadata.name!;
  for (let attempt = 0; ; attempt++) {
    let live: KObject;
    try {
      live = await client.get(rt, ns, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await client.create(rt, ns, createdObject(manifest));
      return 'created';
    }
    if (applyDecision(manifest, live) === 'unchanged') return 'unchanged';
    try {
      await client.update(rt, ns, updatedObject(manifest, live));
      return 'configured';
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'Conflict') || attempt >= conflictRetries) throw err;
    }
  }
}

/** The namespace an object goes to: its own, else the command's; `-n` may not contradict the manifest. */
function targetNamespace(rt: ResourceType, obj: KObject, ns: string, explicit: boolean): string | undefined {
  if (!rt.namespaced) return undefined;
  const own = obj.metadata.namespace;
  if (own && explicit && own !== ns) {
    throw new CliError(`the namespace from the provided object "${own}" does not match the namespace "${ns}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own || ns;
}

export async function runApply(g: GlobalOptions, flags: ApplyFlags): Promise<number> {
  if (flags.filename.length === 0) throw new CliError('must specify one of -f (a file, a directory, or - for stdin)');
  const docs = await readManifests(flags.filename);
  if (docs.length === 0) throw new CliError('no objects passed to apply');
  const { client, namespace, namespaceExplicit } = connect(g);
  let failed = false;
  for (const { source, object } of docs) {
    const rt = resourceByKind(object.apiVersion, object.kind);
    try {
      if (!rt) throw new CliError(`resource mapping not found for name: "${object.metadata.name ?? ''}" from "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
      if (!object.metadata.name) throw new CliError(`error when applying "${source}": ${object.kind} has no metadata.name`);
      const ns = targetNamespace(rt, object, namespace, namespaceExplicit);
      const manifest: KObject = { ...object, metadata: { ...object.metadata, ...(ns ? { namespace: ns } : {}) } };
      const outcome = await applyOne(client, rt, ns, manifest);
      process.stdout.write(`${objectRef(rt, object.metadata.name)} ${outcome}\n`);
    } catch (err) {
      failed = true;
      // Unreachable server: every other object would fail the same way.
      if (err instanceof Error && err.name === 'ConnectionError') throw err;
      printError(err, err instanceof StatusError ? `error when applying "${source}"` : undefined);
    }
  }
  return failed ? 1 : 0;
}
