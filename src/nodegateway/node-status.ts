// Node objects from node reports: registration, label/taint merging, status writes, and the
// Ready=Unknown mark when a node's presence is lost.
import { createHash } from 'node:crypto';
import { resourceByKind } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { ApiInterface } from '../client/api.js';
import type { NodeStatusReport } from '../protocol/messages.js';

type Usage = NonNullable<NodeStatusReport['status']['usage']>;

const nodes = resourceByKind('v1', 'Node')!;

interface Taint { key: string; value?: string; effect: string; timeAdded?: string }
interface Condition { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string }
interface NodeStatusLike { conditions?: Condition[]; [k: string]: unknown }

/** The Node, or undefined when it does not exist. */
async function getNode(api: ApiInterface, name: string): Promise<KObject | undefined> {
  try {
    return await api.get(nodes, undefined, name);
  } catch (err) {
    if (err instanceof StatusError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Taints the user set are kept; the node's own are added when no taint has the same key and effect. */
function mergeTaints(existing: Taint[], reported: Taint[]): Taint[] {
  const out = [...existing];
  for (const t of reported) if (!out.some((e) => e.key === t.key && e.effect === t.effect)) out.push(t);
  return out;
}

/**
 * A digest of what a report says besides heartbeat times and live readings: labels, taints,
 * capacity, conditions (without lastHeartbeatTime), addresses, nodeInfo. Equal digests mean
 * the Node would only get new times and usage from this report.
 */
export function statusSignature(r: NodeStatusReport): string {
  const { usage: _usage, conditions, ...rest } = r.status;
  const conds = conditions?.map(({ lastHeartbeatTime: _h, ...c }) => c);
  return createHash('sha1').update(JSON.stringify([r.labels, r.taints, rest, conds])).digest('base64');
}

/** How far live readings may drift before the API's copy is brought up to date before its refresh. */
export interface UsageDeadband {
  /** Points of CPU use (0–100). */
  cpuPercent: number;
  /** Points of memory use (0–100). */
  memoryPercent: number;
  temperatureCelsius: number;
}

export const defaultUsageDeadband: UsageDeadband = { cpuPercent: 5, memoryPercent: 2, temperatureCelsius: 2 };

/** Has usage moved past the deadband since `prev` (a reading appearing, vanishing or throttling flipping counts)? */
export function usageMoved(prev: Usage | undefined, next: Usage | undefined, band: UsageDeadband = defaultUsageDeadband): boolean {
  if (prev === undefined || next === undefined) return prev !== next;
  const far = (a: number | undefined, b: number | undefined, d: number): boolean => (a === undefined || b === undefined ? a !== b : Math.abs(a - b) >= d);
  return far(prev.cpuPercent, next.cpuPercent, band.cpuPercent)
    || far(prev.memoryPercent, next.memoryPercent, band.memoryPercent)
    || far(prev.temperatureCelsius, next.temperatureCelsius, band.temperatureCelsius)
    || prev.throttled !== next.throttled
    || (prev.cpu === undefined) !== (next.cpu === undefined)
    || (prev.memory === undefined) !== (next.memory === undefined);
}

/** Write a report's status alone (the caller knows labels and taints are already merged). */
export async function writeNodeStatus(api: ApiInterface, name: string, report: NodeStatusReport): Promise<KObject> {
  return await api.updateStatus(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: report.status });
}

/**
 * A heartbeat on the Node: usage replaced, every condition's lastHeartbeatTime set to now.
 * False when the Node is gone (the node re-registers with its next full report).
 */
export async function applyHeartbeat(api: ApiInterface, name: string, usage: Usage | undefined): Promise<boolean> {
  const node = await getNode(api, name);
  if (!node) return false;
  const status = { ...(node.status ?? {}) } as NodeStatusLike;
  const at = now();
  if (status.conditions) status.conditions = status.conditions.map((c) => ({ ...c, lastHeartbeatTime: at }));
  if (usage) status.usage = usage;
  else delete status.usage;
  await api.updateStatus(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, status });
  return true;
}

/** A Node's Ready condition status ('True', 'False', 'Unknown'), undefined without one. */
export function readyStatus(node: KObject | undefined): string | undefined {
  return ((node?.status as NodeStatusLike | undefined)?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
}

/**
 * Register the node if new, merge its labels/taints, then write its status. `wasUnknown`: the
 * Node was marked unreachable until this write (its pods may have been marked not ready).
 */
export async function applyStatusReport(api: ApiInterface, name: string, report: NodeStatusReport): Promise<{ node: KObject; wasUnknown: boolean }> {
  let node = await getNode(api, name);
  const wasUnknown = readyStatus(node) === 'Unknown';
  if (!node) {
    const spec = report.taints && report.taints.length > 0 ? { taints: report.taints } : {};
    try {
      node = await api.create(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: report.labels }, spec });
    } catch (err) {
      // A concurrent registration is fine: merge into what is there.
      if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
      node = await api.get(nodes, undefined, name);
    }
  } else {
    const labels = node.metadata.labels ?? {};
    const changedLabels = Object.entries(report.labels).some(([k, v]) => labels[k] !== v);
    const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints) ?? [];
    const merged = mergeTaints(taints, report.taints ?? []);
    if (changedLabels || merged.length !== taints.length) {
      const patch: Record<string, unknown> = { metadata: { labels: report.labels } };
      if (merged.length !== taints.length) patch.spec = { taints: merged };
      node = await api.patch(nodes, undefined, name, patch, 'merge');
    }
  }
  return { node: await writeNodeStatus(api, name, report), wasUnknown };
}

/** Set Ready=Unknown (the node's status can no longer be trusted); no-op when absent or already Unknown. */
export async function markNodeUnknown(api: ApiInterface, name: string, message: string): Promise<boolean> {
  const node = await getNode(api, name);
  if (!node) return false;
  const status = (node.status ?? {}) as NodeStatusLike;
  const conditions = [...(status.conditions ?? [])];
  const i = conditions.findIndex((c) => c.type === 'Ready');
  const prev = i >= 0 ? conditions[i] : undefined;
  if (prev?.status === 'Unknown') return false;
  const ready: Condition = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message, lastTransitionTime: now() };
  if (prev?.lastHeartbeatTime !== undefined) ready.lastHeartbeatTime = prev.lastHeartbeatTime;
  if (i >= 0) conditions[i] = ready;
  else conditions.push(ready);
  await api.updateStatus(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { ...status, conditions } });
  return true;
}
