// The DaemonSet's decision, without I/O (Kubernetes' daemon controller): from the DaemonSet,
// the nodes and the pods of its namespace, which nodes need a pod, which pods must go (node no
// longer matches, failed, duplicate, replaced by a rolling update) and the status.
import type { DaemonSet, DaemonSetStatus } from '../api/kinds/apps.js';
import type { Node } from '../api/kinds/node.js';
import type { Pod } from '../api/kinds/pod.js';
import { labelSelectorFromSpec } from '../api/selectors.js';
import type { KObject } from '../api/types.js';
import { claim } from './claim.js';
import { revisionHashLabel, targetNode, withDaemonTolerations } from './daemonset-pods.js';
import { templateHash } from './hash.js';
import { scaledValue } from './intstr.js';
import { nodeFit, type NodeFit } from './node-match.js';
import { isAvailable, isReady, msUntilAvailable, timeOf } from './pods.js';

export interface DaemonSetInput {
  ds: DaemonSet;
  nodes: readonly Node[];
  /** Every pod of the DaemonSet's namespace. */
  pods: readonly Pod[];
  now: number;
  expectationsSatisfied: boolean;
  /** Nodes whose failed pods were replaced recently: their failed pods wait (a node rejecting every pod must not make a hot loop). */
  backoffNodes?: ReadonlySet<string>;
}

export interface DaemonSetPlan {
  adopt: Pod[];
  release: Pod[];
  /** Nodes that get a new pod. */
  create: string[];
  delete: Pod[];
  status: DaemonSetStatus;
  hash: string;
  /** Nodes whose failed pods this plan deletes (the controller backs off on them). */
  replacingFailed: string[];
  /** Failed pods were left alone for a back-off: look again later. */
  backedOff: boolean;
  requeueAfterMs?: number;
}

interface NodeState {
  node: Node;
  fit: NodeFit;
  /** The DaemonSet's pods for this node, oldest first, terminating and finished ones included. */
  pods: Pod[];
}

const terminal = (p: Pod): boolean => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const live = (p: Pod): boolean => p.metadata.deletionTimestamp === undefined && !terminal(p);
const byAge = (a: Pod, b: Pod): number => timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

export function reconcileDaemonSet(input: DaemonSetInput): DaemonSetPlan {
  const { ds } = input;
  const claimed = claim(ds as unknown as KObject, labelSelectorFromSpec(ds.spec.selector), input.pods); // the same JSON, typed two ways
  const hash = templateHash(ds.spec.template, ds.status?.collisionCount ?? 0);
  const states = nodeStates(ds, input.nodes, claimed.owned);
  const plan: DaemonSetPlan = { adopt: claimed.adopt, release: claimed.release, create: [], delete: [], hash, replacingFailed: [], backedOff: false, status: daemonSetStatus(ds, states, hash, input.now) };
  const waits = claimed.owned.map((p) => msUntilAvailable(p, ds.spec.minReadySeconds ?? 0, input.now)).filter((ms): ms is number => ms !== undefined);
  if (waits.length > 0) plan.requeueAfterMs = Math.min(...waits);
  if (!input.expectationsSatisfied || ds.metadata.deletionTimestamp !== undefined) return plan;

  const surge = rollingUpdate(ds) ? scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxSurge, plan.status.desiredNumberScheduled ?? 0, true) : 0;
  for (const s of states) manageNode(s, surge > 0, hash, plan, input.backoffNodes?.has(s.node.metadata.name ?? '') ?? false);
  // Pods for nodes that are gone.
  const known = new Set(input.nodes.map((n) => n.metadata.name));
  plan.delete.push(...claimed.owned.filter((p) => live(p) && !known.has(targetNode(p))));
  if (rollingUpdate(ds)) rollOut(ds, states, hash, surge, input.now, plan);
  return plan;
}

function rollingUpdate(ds: DaemonSet): boolean {
  return (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function nodeStates(ds: DaemonSet, nodes: readonly Node[], owned: readonly Pod[]): NodeState[] {
  const spec = withDaemonTolerations(ds.spec.template.spec);
  const byNode = new Map<string, Pod[]>();
  for (const p of owned) {
    const n = targetNode(p);
    if (n !== undefined) byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  return [...nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((node) => ({ node, fit: nodeFit(spec, node), pods: (byNode.get(node.metadata.name ?? '') ?? []).sort(byAge) }));
}

/** One node (podsShouldBeOnNode): create, drop failed or duplicate pods, or empty a node that no longer matches. */
function manageNode(s: NodeState, allowSurge: boolean, hash: string, plan: DaemonSetPlan, backoff: boolean): void {
  const name = s.node.metadata.name ?? '';
  if (s.fit.shouldRun && s.pods.length === 0) { plan.create.push(name); return; }
  if (!s.fit.shouldContinueRunning) { plan.delete.push(...s.pods.filter((p) => p.metadata.deletionTimestamp === undefined)); return; }
  const notDeleting = s.pods.filter((p) => p.metadata.deletionTimestamp === undefined);
  const failed = notDeleting.filter(terminal);
  if (failed.length > 0 && backoff) plan.backedOff = true;
  else if (failed.length > 0) { plan.delete.push(...failed); plan.replacingFailed.push(name); }
  const running = notDeleting.filter((p) => !terminal(p));
  if (running.length <= 1) return;
  if (!allowSurge) { plan.delete.push(...running.slice(1)); return; }
  // With surge, one old and one new pod may share a node for a while: keep the oldest of each.
  const keepNew = running.find((p) => p.metadata.labels?.[revisionHashLabel] === hash);
  const keepOld = running.find((p) => p.metadata.labels?.[revisionHashLabel] !== hash);
  plan.delete.push(...running.filter((p) => p !== keepNew && p !== keepOld));
}

/** Rolling update: replace old pods node by node, at most maxUnavailable nodes without an available pod (or maxSurge extra pods). */
function rollOut(ds: DaemonSet, states: NodeState[], hash: string, surge: number, now: number, plan: DaemonSetPlan): void {
  const desired = plan.status.desiredNumberScheduled ?? 0;
  const minReady = ds.spec.minReadySeconds ?? 0;
  let maxUnavailable = scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, desired, true);
  if (maxUnavailable === 0 && surge === 0) maxUnavailable = 1;
  const pending = new Set(plan.delete);
  let unavailable = 0;
  let surging = 0;
  const candidates: Pod[] = [];
  for (const s of states.filter((x) => x.fit.shouldRun)) {
    const running = s.pods.filter((p) => live(p) && !pending.has(p));
    const newPod = running.find((p) => p.metadata.labels?.[revisionHashLabel] === hash);
    const oldPod = running.find((p) => p.metadata.labels?.[revisionHashLabel] !== hash);
    if (!newPod && !oldPod) { unavailable++; continue; }
    if (surge > 0) {
      if (oldPod && newPod) {
        if (isAvailable(newPod, minReady, now)) plan.delete.push(oldPod);
        else surging++;
      } else if (oldPod && (!isAvailable(oldPod, minReady, now) || surging < surge)) {
        plan.create.push(s.node.metadata.name ?? '');
        surging++;
      }
      continue;
    }
    if (newPod) { if (!isAvailable(newPod, minReady, now)) unavailable++; continue; }
    if (oldPod && !isAvailable(oldPod, minReady, now)) { plan.delete.push(oldPod); unavailable++; }
    else if (oldPod && unavailable < maxUnavailable) candidates.push(oldPod);
  }
  plan.delete.push(...candidates.slice(0, Math.max(0, maxUnavailable - unavailable)));
}

export function daemonSetStatus(ds: DaemonSet, states: readonly NodeState[], hash: string, now: number): DaemonSetStatus {
  const minReady = ds.spec.minReadySeconds ?? 0;
  const c = { desired: 0, current: 0, ready: 0, available: 0, updated: 0, misscheduled: 0 };
  for (const s of states) {
    const pods = s.pods.filter(live);
    if (!s.fit.shouldRun) { if (pods.length > 0) c.misscheduled++; continue; }
    c.desired++;
    const pod = pods[0];
    if (!pod) continue;
    c.current++;
    if (isReady(pod)) c.ready++;
    if (isAvailable(pod, minReady, now)) c.available++;
    if (pods.some((p) => p.metadata.labels?.[revisionHashLabel] === hash)) c.updated++;
  }
  const status: DaemonSetStatus = {
    desiredNumberScheduled: c.desired,
    currentNumberScheduled: c.current,
    numberMisscheduled: c.misscheduled,
    numberReady: c.ready,
    numberAvailable: c.available,
    numberUnavailable: c.desired - c.available,
    updatedNumberScheduled: c.updated,
    observedGeneration: ds.metadata.generation ?? 0,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  return status;
}
