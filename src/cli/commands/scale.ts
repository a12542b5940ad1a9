// `bramble scale deployment/web --replicas 3`: sets spec.replicas of Deployments and ReplicaSets.
import { connect, type GlobalOptions } from '../context.js';
import { CliError } from '../errors.js';
import { parseTargets } from '../kinds.js';
import { objectRef } from '../output/names.js';

export interface ScaleFlags {
  replicas?: string;
  currentReplicas?: string;
}

function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new CliError(`invalid ${flag} "${text}": expected a whole number >= 0`);
  return Number(text);
}

const scalable = ['Deployment', 'ReplicaSet'];

export async function runScale(args: string[], g: GlobalOptions, flags: ScaleFlags): Promise<number> {
  const replicas = count('--replicas', flags.replicas);
  if (replicas === undefined) throw new CliError('--replicas=COUNT is required, and COUNT must be greater than or equal to 0');
  const current = count('--current-replicas', flags.currentReplicas);
  const targets = parseTargets(args);
  const { client, namespace } = connect(g);
  for (const t of targets) {
    if (!scalable.includes(t.rt.kind)) throw new CliError(`cannot scale ${t.rt.plural}: only deployments and replicasets have replicas`);
    if (t.names.length === 0) throw new CliError('resource(s) were provided, but no name was specified');
    for (const name of t.names) {
      let precondition = {};
      if (current !== undefined) {
        // kubectl's --current-replicas: scale only from the size the user saw, and only that version of the object.
        const obj = await client.get(t.rt, namespace, name);
        const now = (obj.spec as { replicas?: number }).replicas ?? 1;
        if (now !== current) throw new CliError(`Expected replicas to be ${current}, was ${now}`);
        precondition = { metadata: { resourceVersion: obj.metadata.resourceVersion } };
      }
      await client.patch(t.rt, namespace, name, { ...precondition, spec: { replicas } }, 'merge');
      process.stdout.write(`${objectRef(t.rt, name)} scaled\n`);
    }
  }
  return 0;
}
