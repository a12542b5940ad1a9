// What the scheduler writes, all through the API: the binding, the PodScheduled=False condition
// of a pod that fits nowhere, evictions for a preemption and the preemptor's nominated node,
// and the Events that tell people about each.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { Condition, Pod } from '../api/schemas.js';
import type { ApiInterface } from '../client/api.js';
import type { EventRecorder } from '../client/events.js';
import type { Preemption } from './preemption.js';

export const podsType = resourceByKind('v1', 'Pod') as ResourceType;
export const nodesType = resourceByKind('v1', 'Node') as ResourceType;

function nsName(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

/** POST pods/{name}/binding: sets spec.nodeName once and PodScheduled=True (409 if already bound). */
export async function bindPod(api: ApiInterface, pod: Pod, node: string): Promise<void> {
  await api.bind(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', node);
}

/** The Event `Scheduled` of a bound pod (written after the binding, at the events' own pace). */
export function recordScheduled(events: EventRecorder, pod: Pod, node: string): Promise<void> {
  return events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${nsName(pod)} to ${node}`);
}

function sameCondition(a: Condition | undefined, b: Condition): boolean {
  return a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;
}

/**
 * PodScheduled=False reason Unschedulable with the per-reason message, and a FailedScheduling
 * Event (the recorder folds repeats into one Event with a count). The condition is written only
 * when it changes, so a pod retried every few seconds does not rewrite itself each time.
 */
export async function markUnschedulable(api: ApiInterface, events: EventRecorder, pod: Pod, message: string, now: number): Promise<void> {
  events.record(pod, 'Warning', 'FailedScheduling', message);
  const conditions = pod.status?.conditions ?? [];
  const old = conditions.find((c) => c.type === 'PodScheduled');
  const cond: Condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message };
  if (sameCondition(old, cond)) return;
  cond.lastTransitionTime = old?.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next = [...conditions.filter((c) => c.type !== 'PodScheduled'), cond];
  await api.patch(podsType, pod.metadata.namespace, pod.metadata.name ?? '', { status: { conditions: next } }, 'merge', 'status');
}

/** Deletes the victims (gracefully: their node stops them) and nominates the node for the preemptor. */
export async function preempt(api: ApiInterface, events: EventRecorder, pod: Pod, p: Preemption): Promise<void> {
  await api.patch(podsType, pod.metadata.namespace, pod.metadata.name ?? '', { status: { nominatedNodeName: p.node } }, 'merge', 'status');
  await Promise.all(p.victims.map(async (v) => {
    const victim = v.pod;
    // The uid precondition: never delete a same-named successor created meanwhile.
    await api.delete(podsType, victim.metadata.namespace, victim.metadata.name ?? '', victim.metadata.uid ? { preconditions: { uid: victim.metadata.uid } } : {});
    events.record(victim, 'Normal', 'Preempted', `Preempted by ${nsName(pod)} on node ${p.node}`);
  }));
}
