// Node objects from node reports: registration, label/taint merging, status writes, and the
// Ready=Unknown mark when a node's presence is lost.
import { resourceByKind } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { ApiInterface } from '../client/api.js';
import type { NodeStatusReport } from '../protocol/messages.js';

const nodes = resourceByKind('v1', 'Node')!;

interface Taint { key: string; value?: string; effect: string; timeAdded?: string }
interface Condition { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string }
interface NodeStatusLike { conditions?: Condition[]; [k: string]: unknown }

function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'NotFound';
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

/** Register the node if new, merge its labels/taints, then write its status. */
export async function applyStatusReport(api: ApiInterface, name: string, report: NodeStatusReport): Promise<KObject> {
  let node: KObject | undefined;
  try {
    node = await api.get(nodes, undefined, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
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
  return await api.updateStatus(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: report.status });
}

/** Set Ready=Unknown (the node's status can no longer be trusted); no-op when absent or already Unknown. */
export async function markNodeUnknown(api: ApiInterface, name: string, message: string): Promise<boolean> {
  let node: KObject;
  try {
    node = await api.get(nodes, undefined, name);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
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
