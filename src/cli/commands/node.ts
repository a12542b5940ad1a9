// `bramble cordon|uncordon|drain NODE`: take a device out of scheduling (maintenance, a reflash)
// and move its workloads away. Cordon sets spec.unschedulable (the node lifecycle controller
// adds the unschedulable taint); drain cordons, then deletes the node's pods except DaemonSet
// pods (their DaemonSet would put them straight back), so their controllers recreate them elsewhere.
import { resourceByKind, type ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import { connect, type GlobalOptions } from '../context.js';
import { CliError, isNotFound } from '../errors.js';

const nodes = resourceByKind('v1', 'Node') as ResourceType;
const pods = resourceByKind('v1', 'Pod') as ResourceType;

export interface DrainFlags {
  force?: boolean;
}

export interface DrainPlan {
  evict: KObject[];
  daemonSet: KObject[];
  /** Pods no controller recreates: deleted only with --force, as kubectl does. */
  unmanaged: KObject[];
}

function controllerOf(pod: KObject): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.controller === true)?.kind;
}

/** Which pods of a node drain deletes; pods already leaving are left to finish. */
export function drainPlan(nodePods: readonly KObject[], force: boolean): DrainPlan {
  const plan: DrainPlan = { evict: [], daemonSet: [], unmanaged: [] };
  for (const p of nodePods) {
    if (p.metadata.deletionTimestamp !== undefined) continue;
    const owner = controllerOf(p);
    if (owner === 'DaemonSet') plan.daemonSet.push(p);
    else if (owner === undefined && !force) plan.unmanaged.push(p);
    else plan.evict.push(p);
  }
  return plan;
}

const podRef = (p: KObject): string => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;

async function setUnschedulable(g: GlobalOptions, node: string, on: boolean): Promise<boolean> {
  const { client } = connect(g);
  let obj: KObject;
  try {
    obj = await client.get(nodes, undefined, node);
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`nodes "${node}" not found`);
    throw err;
  }
  const was = (obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
  if (was === on) return false;
  await client.patch(nodes, undefined, node, { spec: { unschedulable: on ? true : null } }, 'merge');
  return true;
}

export async function runCordon(g: GlobalOptions, node: string): Promise<number> {
  const changed = await setUnschedulable(g, node, true);
  process.stdout.write(`node/${node} ${changed ? 'cordoned' : 'already cordoned'}\n`);
  return 0;
}

export async function runUncordon(g: GlobalOptions, node: string): Promise<number> {
  const changed = await setUnschedulable(g, node, false);
  process.stdout.write(`node/${node} ${changed ? 'uncordoned' : 'already uncordoned'}\n`);
  return 0;
}

export async function runDrain(g: GlobalOptions, node: string, flags: DrainFlags): Promise<number> {
  const changed = await setUnschedulable(g, node, true);
  process.stdout.write(`node/${node} ${changed ? 'cordoned' : 'already cordoned'}\n`);
  const { client } = connect(g);
  const list = await client.list(pods, undefined, { fieldSelector: `spec.nodeName=${node}` });
  const plan = drainPlan(list.items, flags.force === true);
  if (plan.unmanaged.length > 0) {
    throw new CliError(`cannot delete Pods that declare no controller (use --force to override): ${plan.unmanaged.map(podRef).join(', ')}`);
  }
  if (plan.daemonSet.length > 0) process.stderr.write(`Warning: ignoring DaemonSet-managed Pods: ${plan.daemonSet.map(podRef).join(', ')}\n`);
  for (const p of plan.evict) {
    process.stdout.write(`evicting pod ${podRef(p)}\n`);
    try {
      await client.delete(pods, p.metadata.namespace, p.metadata.name ?? '', p.metadata.uid ? { preconditions: { uid: p.metadata.uid } } : {});
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    process.stdout.write(`pod/${p.metadata.name ?? ''} evicted\n`);
  }
  process.stdout.write(`node/${node} drained\n`);
  return 0;
}
