// `bramble rollout status|history|undo|restart|pause|resume`: follow and steer Deployment
// (and DaemonSet) rollouts as kubectl does. Undo is client-side, as in kubectl: the chosen
// revision's pod template is copied back into the Deployment, and the controller rolls to it.
import { changeCauseAnnotation, podTemplateHashLabel, revisionAnnotation } from '../../api/annotations.js';
import type { ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import { connect, interruptSignal, type GlobalOptions } from '../context.js';
import { CliError } from '../errors.js';
import { parseTargets } from '../kinds.js';
import { objectRef } from '../output/names.js';
import { formatYaml } from '../output/printer.js';
import { renderTable } from '../output/table.js';
import { watchLoop } from '../watch-loop.js';
import { verdictFor } from './rollout-status.js';
import { parseDuration } from './token.js';

interface Target { rt: ResourceType; name: string }

/** `deployment/web` or `deployment web`, of one of the kinds the subcommand supports. */
function target(args: string[], kinds: readonly string[], verb: string): Target {
  const targets = parseTargets(args);
  const t = targets[0];
  if (targets.length !== 1 || t?.names.length !== 1) throw new CliError(`rollout ${verb} needs exactly one object, e.g. deployment/web`);
  if (!kinds.includes(t.rt.kind)) throw new CliError(`rollout ${verb} is not supported for ${t.rt.plural} (supported: ${kinds.map((k) => `${k.toLowerCase()}s`).join(', ')})`);
  return { rt: t.rt, name: t.names[0] ?? '' };
}

export interface RolloutStatusFlags { timeout?: string; watch?: boolean }

export async function runRolloutStatus(args: string[], g: GlobalOptions, flags: RolloutStatusFlags): Promise<number> {
  const t = target(args, ['Deployment', 'DaemonSet'], 'status');
  const timeoutSeconds = flags.timeout === undefined ? 0 : parseDuration(flags.timeout, '--timeout');
  const { client, namespace } = connect(g);
  const first = await client.get(t.rt, namespace, t.name);
  let last = '';
  // Prints each new message; true when the rollout is over (done, or an error thrown).
  const report = (obj: KObject): boolean => {
    const v = verdictFor(obj);
    if (v.error) throw new CliError(v.error);
    if (v.message !== last) process.stdout.write(`${v.message}\n`);
    last = v.message;
    return v.done;
  };
  if (report(first) || flags.watch === false) return 0;
  const ac = new AbortController();
  const interrupt = interruptSignal();
  interrupt.signal.addEventListener('abort', () => ac.abort());
  let timedOut = false;
  const timer = timeoutSeconds > 0 ? setTimeout(() => { timedOut = true; ac.abort(); }, timeoutSeconds * 1000) : undefined;
  let done = false;
  let failure: unknown;
  const onObject = (obj: KObject): void => {
    if (done || obj.metadata.name !== t.name) return;
    try { done = report(obj); } catch (err) { failure = err; done = true; }
    if (done) ac.abort();
  };
  try {
    await watchLoop(client, t.rt, namespace, first.metadata.resourceVersion ?? '0', {
      fieldSelector: `metadata.name=${t.name}`,
      signal: ac.signal,
      onEvent: (type, obj) => { if (type !== 'DELETED') onObject(obj); },
      onRelist: (items) => { for (const o of items) onObject(o); },
    });
  } finally {
    clearTimeout(timer);
    interrupt.dispose();
  }
  if (failure) throw failure;
  if (done) return 0;
  if (timedOut) throw new CliError('timed out waiting for the condition');
  return 1; // interrupted
}

/** The Deployment's ReplicaSets (those it controls), oldest revision first. */
async function history(client: ApiClient, d: KObject, ns: string): Promise<KObject[]> {
  const rsType = parseTargets(['replicasets'])[0]!.rt;
  const list = await client.listAll(rsType, ns);
  return list.items
    .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === d.metadata.uid))
    .sort((a, b) => revisionOf(a) - revisionOf(b));
}

const revisionOf = (o: KObject): number => Number(o.metadata.annotations?.[revisionAnnotation] ?? '0') || 0;

function templateOf(rs: KObject): Record<string, unknown> {
  const tpl = structuredClone((rs.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template ?? {});
  if (tpl.metadata?.labels) {
    tpl.metadata.labels = Object.fromEntries(Object.entries(tpl.metadata.labels).filter(([k]) => k !== podTemplateHashLabel));
  }
  return tpl;
}

function parseRevision(text: string | undefined, flag: string): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text)) throw new CliError(`invalid ${flag} "${text}": expected a revision number`);
  return Number(text);
}

export async function runRolloutHistory(args: string[], g: GlobalOptions, flags: { revision?: string }): Promise<number> {
  const t = target(args, ['Deployment'], 'history');
  const { client, namespace } = connect(g);
  const d = await client.get(t.rt, namespace, t.name);
  const rss = await history(client, d, namespace);
  const wanted = parseRevision(flags.revision, '--revision');
  if (wanted > 0) {
    const rs = rss.find((r) => revisionOf(r) === wanted);
    if (!rs) throw new CliError(`unable to find the specified revision ${wanted}`);
    process.stdout.write(`${objectRef(t.rt, t.name)} with revision #${wanted}\nPod Template:\n`);
    process.stdout.write(formatYaml(templateOf(rs)).replace(/^/gm, '  ').replace(/ +$/, ''));
    return 0;
  }
  if (rss.length === 0) { process.stdout.write(`No rollout history found in ${objectRef(t.rt, t.name)}\n`); return 0; }
  const rows = [['REVISION', 'CHANGE-CAUSE'], ...rss.map((rs) => [String(revisionOf(rs)), rs.metadata.annotations?.[changeCauseAnnotation] ?? '<none>'])];
  process.stdout.write(`${objectRef(t.rt, t.name)}\n${renderTable(rows).join('\n')}\n`);
  return 0;
}

export async function runRolloutUndo(args: string[], g: GlobalOptions, flags: { toRevision?: string }): Promise<number> {
  const t = target(args, ['Deployment'], 'undo');
  const { client, namespace } = connect(g);
  const d = await client.get(t.rt, namespace, t.name);
  if ((d.spec as { paused?: boolean }).paused) {
    throw new CliError(`you cannot rollback a paused deployment; resume it first with 'bramble rollout resume ${objectRef(t.rt, t.name)}' and try again`);
  }
  const rss = await history(client, d, namespace);
  const wanted = parseRevision(flags.toRevision, '--to-revision');
  const current = Number(d.metadata.annotations?.[revisionAnnotation] ?? '0') || Math.max(0, ...rss.map(revisionOf));
  // Without --to-revision: the newest revision before the current one.
  const rs = wanted > 0 ? rss.find((r) => revisionOf(r) === wanted) : rss.filter((r) => revisionOf(r) < current).at(-1);
  if (!rs) throw new CliError(wanted > 0 ? `unable to find specified revision ${wanted} in history` : `no rollout history found for ${objectRef(t.rt, t.name)}`);
  const tpl = templateOf(rs);
  if (JSON.stringify(sortKeys(tpl)) === JSON.stringify(sortKeys((d.spec as { template?: unknown }).template))) {
    process.stdout.write(`${objectRef(t.rt, t.name)} skipped rollback (current template already matches revision ${revisionOf(rs)})\n`);
    return 0;
  }
  const cause = rs.metadata.annotations?.[changeCauseAnnotation];
  const ops: unknown[] = [
    { op: 'test', path: '/metadata/resourceVersion', value: d.metadata.resourceVersion },
    { op: 'replace', path: '/spec/template', value: tpl },
  ];
  if (cause !== undefined) {
    ops.push(d.metadata.annotations
      ? { op: 'add', path: `/metadata/annotations/${changeCauseAnnotation.replace('/', '~1')}`, value: cause }
      : { op: 'add', path: '/metadata/annotations', value: { [changeCauseAnnotation]: cause } });
  }
  await client.patch(t.rt, namespace, t.name, ops, 'json');
  process.stdout.write(`${objectRef(t.rt, t.name)} rolled back\n`);
  return 0;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

export async function runRolloutRestart(args: string[], g: GlobalOptions): Promise<number> {
  const t = target(args, ['Deployment', 'DaemonSet'], 'restart');
  const { client, namespace } = connect(g);
  // A new template annotation is a new template: the controller rolls every pod, within the strategy's limits.
  const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } };
  await client.patch(t.rt, namespace, t.name, patch, 'merge');
  process.stdout.write(`${objectRef(t.rt, t.name)} restarted\n`);
  return 0;
}

export async function runRolloutPause(args: string[], g: GlobalOptions, paused: boolean): Promise<number> {
  const verb = paused ? 'pause' : 'resume';
  const t = target(args, ['Deployment'], verb);
  const { client, namespace } = connect(g);
  const d = await client.get(t.rt, namespace, t.name);
  if (Boolean((d.spec as { paused?: boolean }).paused) === paused) throw new CliError(`${objectRef(t.rt, t.name)} is ${paused ? 'already' : 'not'} paused`);
  await client.patch(t.rt, namespace, t.name, { spec: { paused } }, 'merge');
  process.stdout.write(`${objectRef(t.rt, t.name)} ${paused ? 'paused' : 'resumed'}\n`);
  return 0;
}
