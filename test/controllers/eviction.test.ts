import { describe, expect, it } from 'vitest';
import type { Taint } from '../../src/api/kinds/node.js';
import type { Toleration } from '../../src/api/kinds/pod.js';
import type { KObject } from '../../src/api/types.js';
import { evictionDecision, notReadyConditions } from '../../src/controllers/eviction.js';
import { notReadyTaintKey, unreachableTaintKey } from '../../src/controllers/taints.js';

const t0 = Date.parse('2024-05-01T10:00:00Z');
const at = (s: number): number => t0 + s * 1000;
const unreachable: Taint[] = [{ key: unreachableTaintKey, effect: 'NoSchedule' }, { key: unreachableTaintKey, effect: 'NoExecute', timeAdded: '2024-05-01T10:00:00Z' }];
const pod = (tolerations?: Toleration[]): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'pi-1', containers: [], ...(tolerations ? { tolerations } : {}) } });
const tolerateUnreachable = (seconds?: number): Toleration => ({ key: unreachableTaintKey, operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) });
const defaultSeconds = 900;

describe('evictionDecision (fake clock)', () => {
  const table: { name: string; pod: KObject; taints: Taint[]; now: number; want: ReturnType<typeof evictionDecision> }[] = [
    { name: 'no taints: keep', pod: pod(), taints: [], now: at(5000), want: { action: 'keep' } },
    { name: 'NoSchedule only: keep', pod: pod(), taints: [unreachable[0]!], now: at(5000), want: { action: 'keep' } },
    { name: 'no toleration: cluster default, before it runs out → wait for the rest', pod: pod(), taints: unreachable, now: at(100), want: { action: 'wait', afterMs: 800_000 } },
    { name: 'no toleration: cluster default ran out → evict', pod: pod(), taints: unreachable, now: at(900), want: { action: 'evict', taint: unreachable[1]! } },
    { name: 'own tolerationSeconds win over the default (shorter)', pod: pod([tolerateUnreachable(30)]), taints: unreachable, now: at(29), want: { action: 'wait', afterMs: 1000 } },
    { name: 'own tolerationSeconds run out → evict', pod: pod([tolerateUnreachable(30)]), taints: unreachable, now: at(30), want: { action: 'evict', taint: unreachable[1]! } },
    { name: 'own tolerationSeconds win over the default (longer)', pod: pod([tolerateUnreachable(3600)]), taints: unreachable, now: at(1000), want: { action: 'wait', afterMs: 2_600_000 } },
    { name: 'tolerationSeconds 0 → evict at once', pod: pod([tolerateUnreachable(0)]), taints: unreachable, now: at(0), want: { action: 'evict', taint: unreachable[1]! } },
    { name: 'tolerates forever (DaemonSet-style): keep', pod: pod([tolerateUnreachable()]), taints: unreachable, now: at(1e6), want: { action: 'keep' } },
    { name: 'Exists-all toleration: keep', pod: pod([{ operator: 'Exists' }]), taints: unreachable, now: at(1e6), want: { action: 'keep' } },
    { name: 'a user NoExecute taint not tolerated → evict at once', pod: pod(), taints: [{ key: 'maintenance', effect: 'NoExecute' }], now: at(0), want: { action: 'evict', taint: { key: 'maintenance', effect: 'NoExecute' } } },
    { name: 'not-ready uses the default as well', pod: pod(), taints: [{ key: notReadyTaintKey, effect: 'NoExecute', timeAdded: '2024-05-01T10:00:00Z' }], now: at(899), want: { action: 'wait', afterMs: 1000 } },
    { name: 'a taint without timeAdded starts now', pod: pod([tolerateUnreachable(10)]), taints: [{ key: unreachableTaintKey, effect: 'NoExecute' }], now: at(50), want: { action: 'wait', afterMs: 10_000 } },
  ];
  for (const t of table) it(t.name, () => expect(evictionDecision(t.pod, t.taints, t.now, defaultSeconds)).toEqual(t.want));

  it('a node back before the timeout: its taints are gone, so every pod is kept', () => {
    // The controller removes the taints when Ready=True; with none left nothing is evicted even past the deadline.
    expect(evictionDecision(pod(), [], at(10_000), defaultSeconds)).toEqual({ action: 'keep' });
  });
});

describe('notReadyConditions', () => {
  it('sets Ready=False, keeping the other conditions', () => {
    const p: KObject = { ...pod(), status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] } };
    const c = notReadyConditions(p, '2024-05-01T10:00:00Z', 'pi-1');
    expect(c).toEqual([{ type: 'PodScheduled', status: 'True' }, expect.objectContaining({ type: 'Ready', status: 'False', reason: 'NodeNotReady', lastTransitionTime: '2024-05-01T10:00:00Z' })]);
  });
  it('adds Ready=False when absent; nothing when already False', () => {
    expect(notReadyConditions(pod(), 'x', 'n')).toEqual([expect.objectContaining({ type: 'Ready', status: 'False' })]);
    expect(notReadyConditions({ ...pod(), status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 'x', 'n')).toBeUndefined();
  });
});
