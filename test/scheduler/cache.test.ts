import { describe, expect, it } from 'vitest';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { node, pod } from './fixtures.js';

const requested = (c: SchedulerCache, n: string) => c.node(n)!.requested.memory / 2 ** 30;

describe('scheduler cache', () => {
  it('sums the pods bound to each node, whichever arrives first', () => {
    const c = new SchedulerCache();
    c.setPod(pod('early', { nodeName: 'a', memory: '1Gi' }));
    c.setNode(node('a'));
    c.setPod(pod('late', { nodeName: 'a', memory: '1Gi' }));
    expect(requested(c, 'a')).toBe(2);
    c.removePod('default/early');
    expect(requested(c, 'a')).toBe(1);
  });

  it('a node update keeps its pods', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    c.setPod(pod('x', { nodeName: 'a', memory: '1Gi' }));
    c.setNode(node('a', { memory: '8Gi' }));
    expect(requested(c, 'a')).toBe(1);
    expect(c.nodeInfos().map((n) => n.allocatable.memory / 2 ** 30)).toEqual([8]);
  });

  it('a node update carries its readiness, worked out once per node version', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    expect(c.node('a')!.ready).toBe(true);
    c.setNode(node('a', { ready: 'Unknown' }));
    expect(c.node('a')!.ready).toBe(false);
    c.setNode(node('a', { ready: 'True' }));
    expect(c.node('a')!.ready).toBe(true);
    c.setNode(node('a', { ready: 'missing' }));
    expect(c.node('a')!.ready).toBe(false);
  });

  it('finished pods free their room', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    c.setPod(pod('x', { nodeName: 'a', memory: '1Gi' }));
    c.setPod(pod('x', { nodeName: 'a', memory: '1Gi', phase: 'Succeeded' }));
    expect(requested(c, 'a')).toBe(0);
  });

  it('an assumed pod counts until its binding is seen, and survives status updates without a node', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    const p = pod('x', { memory: '1Gi' });
    c.assume(p, 'a');
    expect(requested(c, 'a')).toBe(1);
    c.setPod(p); // e.g. our own PodScheduled write, still without spec.nodeName
    expect(requested(c, 'a')).toBe(1);
    expect(c.isAssumed('default/x')).toBe(true);
    c.setPod(pod('x', { memory: '1Gi', nodeName: 'a' }));
    expect(c.isAssumed('default/x')).toBe(false);
    expect(requested(c, 'a')).toBe(1);
  });

  it('forget drops an assumed pod whose binding failed', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    c.assume(pod('x', { memory: '1Gi' }), 'a');
    c.forget('default/x');
    expect(requested(c, 'a')).toBe(0);
  });

  it('forget leaves confirmed pods alone', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    c.setPod(pod('x', { nodeName: 'a', memory: '1Gi' }));
    c.forget('default/x');
    expect(requested(c, 'a')).toBe(1);
  });

  it('a status update of the same pod (uid and generation) reuses its parsed requests; a new generation does not', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    const v1 = pod('x', { nodeName: 'a', memory: '1Gi' });
    v1.metadata.generation = 1;
    c.setPod(v1);
    const first = c.node('a')!.pods.get('default/x')!;
    c.setPod({ ...v1, status: { phase: 'Running' } });
    expect(c.node('a')!.pods.get('default/x')!.requests).toBe(first.requests);
    const v2 = pod('x', { nodeName: 'a', memory: '2Gi' });
    v2.metadata.generation = 2;
    c.setPod(v2);
    expect(requested(c, 'a')).toBe(2);
  });

  it('a heartbeat with the same allocatable keeps the sums and the parsed allocatable', () => {
    const c = new SchedulerCache();
    c.setNode(node('a'));
    c.setNode(node('b'));
    c.setPod(pod('x', { nodeName: 'a', memory: '1Gi' }));
    c.nodeInfos();
    const before = c.node('a')!;
    c.setNode(node('a', { usage: { cpuPercent: 50 } }));
    const after = c.node('a')!;
    expect(after).not.toBe(before);
    expect(after.allocatable).toBe(before.allocatable);
    expect(requested(c, 'a')).toBe(1);
    expect(c.nodeInfos().map((n) => n.name)).toEqual(['a', 'b']);
    expect(c.nodeInfos()[0]).toBe(after);
  });
});
