// Turns what the user typed (`po`, `deploy web`, `pod/x`, `pods,svc`, `all`) into resource types and names.
import { resourceByName, type ResourceType } from '../api/registry.js';
import { CliError } from './errors.js';

export interface Target {
  rt: ResourceType;
  names: string[];
}

// What `get all` means in kubectl, minus kinds Bramble does not have.
const allKinds = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets'];

export function resolveKind(name: string): ResourceType {
  const rt = resourceByName(name);
  if (!rt) throw new CliError(`the server doesn't have a resource type "${name}"`);
  return rt;
}

/** `KIND [NAME...]`, `KIND1,KIND2`, `all`, or `KIND/NAME...`. */
export function parseTargets(args: readonly string[]): Target[] {
  const [first, ...rest] = args;
  if (first === undefined) throw new CliError('you must specify the type of resource, e.g. "bramble get pods" (types: pods, nodes, deployments, replicasets, daemonsets, services, endpoints, configmaps, secrets, events, namespaces, serviceaccounts)');
  if (args.some((a) => a.includes('/'))) {
    if (!args.every((a) => a.includes('/'))) throw new CliError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. "bramble get pod/x")');
    const targets: Target[] = [];
    for (const a of args) {
      const [kind = '', name = ''] = a.split('/', 2);
      if (name === '') throw new CliError(`arguments in resource/name form must have a single resource and name: "${a}"`);
      const rt = resolveKind(kind);
      const existing = targets.find((t) => t.rt === rt);
      if (existing) existing.names.push(name);
      else targets.push({ rt, names: [name] });
    }
    return targets;
  }
  const kinds = first.split(',').filter((k) => k !== '').flatMap((k) => (k.toLowerCase() === 'all' ? allKinds : [k]));
  const rts = [...new Set(kinds.map(resolveKind))];
  if (rest.length > 0 && rts.length > 1) throw new CliError('names can only be given with a single resource type');
  return rts.map((rt) => ({ rt, names: [...rest] }));
}
