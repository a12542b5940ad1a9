import { describe, expect, it } from 'vitest';
import type { Taint } from '../../src/api/kinds/node.js';
import { toleratesTaint as tolerates } from '../../src/api/tolerations.js';
import { notReadyTaintKey, reconcileTaints, taintChangeEvents, unreachableTaintKey, unschedulableTaintKey, wantedTaints, type ReadyStatus } from '../../src/controllers/taints.js';

const now = '2024-05-01T10:00:00Z';
const earlier = '2024-05-01T09:00:00Z';
const unreachable: Taint[] = [{ key: unreachableTaintKey, effect: 'NoSchedule' }, { key: unreachableTaintKey, effect: 'NoExecute', timeAdded: now }];
const notReady: Taint[] = [{ key: notReadyTaintKey, effect: 'NoSchedule' }, { key: notReadyTaintKey, effect: 'NoExecute', timeAdded: now }];
const cordon: Taint = { key: unschedulableTaintKey, effect: 'NoSchedule' };
const user: Taint = { key: 'dedicated', value: 'camera', effect: 'NoSchedule' };

describe('reconcileTaints(current, wantedTaints(ready, unschedulable))', () => {
  const table: { name: string; ready: ReadyStatus; unschedulable?: boolean; current: Taint[]; want: Taint[] | undefined }[] = [
    { name: 'Ready, nothing to do', ready: 'True', current: [], want: undefined },
    { name: 'no Ready condition yet: not judged', ready: undefined, current: [], want: undefined },
    { name: 'Unknown → unreachable NoSchedule + NoExecute (timeAdded on NoExecute)', ready: 'Unknown', current: [], want: unreachable },
    { name: 'False → not-ready NoSchedule + NoExecute', ready: 'False', current: [], want: notReady },
    { name: 'Unknown again: taints kept with their first timeAdded', ready: 'Unknown', current: [{ key: unreachableTaintKey, effect: 'NoSchedule' }, { key: unreachableTaintKey, effect: 'NoExecute', timeAdded: earlier }], want: undefined },
    { name: 'back to Ready → removed; user taints kept', ready: 'True', current: [user, ...unreachable], want: [user] },
    { name: 'Unknown → False swaps the taints', ready: 'False', current: unreachable, want: notReady },
    { name: 'cordon adds unschedulable NoSchedule', ready: 'True', unschedulable: true, current: [], want: [cordon] },
    { name: 'uncordon removes it', ready: 'True', current: [cordon, user], want: [user] },
    { name: 'cordoned and unreachable', ready: 'Unknown', unschedulable: true, current: [cordon], want: [cordon, ...unreachable] },
  ];
  for (const t of table) {
    it(t.name, () => {
      expect(reconcileTaints(t.current, wantedTaints(t.ready, t.unschedulable ?? false), now)).toEqual(t.want);
    });
  }
});

describe('tolerates', () => {
  const taint: Taint = { key: unreachableTaintKey, effect: 'NoExecute' };
  const table = [
    { tol: { key: unreachableTaintKey, operator: 'Exists' as const, effect: 'NoExecute' as const }, want: true },
    { tol: { key: unreachableTaintKey, operator: 'Exists' as const }, want: true },
    { tol: { operator: 'Exists' as const }, want: true },
    { tol: { key: unreachableTaintKey, operator: 'Exists' as const, effect: 'NoSchedule' as const }, want: false },
    { tol: { key: notReadyTaintKey, operator: 'Exists' as const }, want: false },
    { tol: { key: unreachableTaintKey }, want: true }, // Equal with empty value matches a taint without one
    { tol: { key: unreachableTaintKey, value: 'x' }, want: false },
  ];
  for (const t of table) it(JSON.stringify(t.tol), () => expect(tolerates(t.tol, taint)).toBe(t.want));
});

describe('taintChangeEvents', () => {
  const reasons = (before: Taint[], after: Taint[], ready: ReadyStatus): string[] => taintChangeEvents('pi-1', before, after, ready).map((e) => `${e.reason}: ${e.message}`);
  it('says when readiness changes, not when only timeAdded or user taints do', () => {
    expect(reasons([], unreachable, 'Unknown')).toEqual(['NodeNotReady: Node pi-1 status is now: Unknown (the node stopped reporting)']);
    expect(reasons(unreachable, [], 'True')).toEqual(['NodeReady: Node pi-1 status is now: Ready']);
    expect(reasons(unreachable, notReady, 'False')).toEqual(['NodeNotReady: Node pi-1 status is now: NotReady']);
    expect(reasons(unreachable, [...unreachable, user], 'Unknown')).toEqual([]);
  });
  it('says when a node is cordoned or uncordoned', () => {
    expect(reasons([], [cordon], 'True')).toEqual(['NodeNotSchedulable: Node pi-1 status is now: NodeNotSchedulable']);
    expect(reasons([cordon], [], 'True')).toEqual(['NodeSchedulable: Node pi-1 status is now: NodeSchedulable']);
  });
});
