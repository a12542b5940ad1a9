import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/controllers/workqueue.js';

describe('WorkQueue', () => {
  it('processes a key added many times before a worker takes it once', async () => {
    const q = new WorkQueue();
    q.add('a'); q.add('a'); q.add('b'); q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.length).toBe(0);
  });

  it('never hands a key to two workers at once; a key added while in flight runs again after', async () => {
    const q = new WorkQueue();
    q.add('k');
    const first = await q.get();
    q.add('k');
    expect(q.length).toBe(0);
    q.done(first as string);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('k');
  });

  it('backs off exponentially per key and starts over after forget', () => {
    const q = new WorkQueue({ baseDelayMs: 10 });
    q.addRateLimited('x');
    q.addRateLimited('x');
    q.addRateLimited('x');
    expect(q.requeues('x')).toBe(3);
    q.forget('x');
    expect(q.requeues('x')).toBe(0);
    q.shutDown();
  });

  it('delivers a delayed key after its delay, keeping the earliest of two', async () => {
    const q = new WorkQueue();
    q.addAfter('d', 30);
    q.addAfter('d', 10_000);
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('d');
    q.shutDown();
  });

  it('run() serialises each key and ends on shutDown', async () => {
    const q = new WorkQueue();
    const active = new Set<string>();
    let overlap = false;
    const seen: string[] = [];
    const running = q.run(async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      seen.push(key);
      await new Promise((r) => setTimeout(r, 5));
      active.delete(key);
    }, 4);
    for (let i = 0; i < 20; i++) q.add(`k${i % 3}`);
    await new Promise((r) => setTimeout(r, 50));
    q.add('k0');
    await new Promise((r) => setTimeout(r, 30));
    q.shutDown();
    await running;
    expect(overlap).toBe(false);
    expect(seen.filter((k) => k === 'k0').length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set(['k0', 'k1', 'k2']));
  });
});
