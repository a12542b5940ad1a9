import { describe, expect, it } from 'vitest';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { pod } from './fixtures.js';

function queue() {
  let t = 0;
  const q = new SchedulingQueue({ now: () => t, initialBackoffMs: 1000, maxBackoffMs: 10_000, unschedulableRetryMs: 60_000 });
  return { q, advance: (ms: number) => { t += ms; } };
}

const names = (q: SchedulingQueue): string[] => {
  const out: string[] = [];
  for (let p = q.pop(); p; p = q.pop()) out.push(p.metadata.name!);
  return out;
};

describe('scheduling queue', () => {
  it('pops by priority, then age, then arrival', () => {
    const { q } = queue();
    q.add(pod('young-low', { created: '2026-01-01T00:00:05Z' }));
    q.add(pod('old-low', { created: '2026-01-01T00:00:01Z' }));
    q.add(pod('high', { priority: 100, created: '2026-01-01T00:00:09Z' }));
    q.add(pod('same-age-second', { created: '2026-01-01T00:00:05Z' }));
    expect(names(q)).toEqual(['high', 'old-low', 'young-low', 'same-age-second']);
  });

  it('a pod is queued once however often it is added', () => {
    const { q } = queue();
    q.add(pod('a'));
    q.add(pod('a'));
    q.update(pod('a'));
    expect(names(q)).toEqual(['a']);
  });

  it('deleted pods are not popped', () => {
    const { q } = queue();
    q.add(pod('a'));
    q.add(pod('b'));
    q.delete('default/a');
    expect(names(q)).toEqual(['b']);
  });

  it('back-off doubles per failure up to the maximum', () => {
    const { q } = queue();
    expect([1, 2, 3, 4, 5, 6].map((n) => q.backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('an unschedulable pod waits for a cluster change, then for its back-off', () => {
    const { q, advance } = queue();
    const p = pod('a');
    q.add(p);
    q.unschedulableAgain(q.pop()!);
    advance(5000);
    expect(q.pop()).toBeUndefined();
    q.moveAllUnschedulable();
    expect(q.pop()?.metadata.name).toBe('a'); // 5 s > the 1 s back-off
    q.unschedulableAgain(p); // second failure: 2 s back-off
    q.moveAllUnschedulable();
    expect(q.sizes).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    expect(q.nextWakeIn()).toBe(2000);
    advance(2000);
    expect(q.pop()?.metadata.name).toBe('a');
  });

  it('unschedulable pods are retried periodically without a change', () => {
    const { q, advance } = queue();
    q.add(pod('a'));
    q.unschedulableAgain(q.pop()!);
    expect(q.nextWakeIn()).toBe(60_000);
    advance(60_000);
    expect(q.pop()?.metadata.name).toBe('a');
  });

  it('an error retries after the back-off without waiting for a change', () => {
    const { q, advance } = queue();
    q.add(pod('a'));
    q.retryLater(q.pop()!);
    expect(q.pop()).toBeUndefined();
    advance(1000);
    expect(q.pop()?.metadata.name).toBe('a');
  });

  it('a status-only update keeps an unschedulable pod waiting; a real update retries it', () => {
    const { q, advance } = queue();
    q.add(pod('a'));
    q.unschedulableAgain(q.pop()!);
    advance(2000);
    q.update(pod('a'));
    expect(q.pop()).toBeUndefined();
    q.add(pod('a', { tolerations: [{ operator: 'Exists' }] }));
    expect(q.pop()?.spec.tolerations).toHaveLength(1);
  });

  it('forget resets the back-off', () => {
    const { q } = queue();
    q.add(pod('a'));
    q.retryLater(q.pop()!);
    q.forget('default/a');
    q.flush();
    expect(q.pop()?.metadata.name).toBe('a');
  });
});

describe('scheduling queue at scale', () => {
  it('thousands of waiting pods: new pods still pop at once, the waiting ones when their retry is due', () => {
    const { q, advance } = queue();
    for (let i = 0; i < 2000; i++) q.add(pod(`w${i}`));
    for (let p = q.pop(); p; p = q.pop()) q.unschedulableAgain(p);
    expect(q.sizes.unschedulable).toBe(2000);
    q.add(pod('fresh'));
    expect(q.pop()?.metadata.name).toBe('fresh');
    expect(q.nextWakeIn()).toBe(60_000);
    advance(60_000);
    expect(names(q)).toHaveLength(2000);
  });
});
