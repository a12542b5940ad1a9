import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/scheduler/limiter.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

describe('scheduler limiter', () => {
  it('runs at most `limit` tasks at once, the rest in order, and drops past the queue cap', async () => {
    const l = new Limiter(2, 1);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const accepted = gates.map((g, i) => l.run(async () => { started.push(i); await g.promise; }));
    expect(accepted).toEqual([true, true, true, false]);
    expect(l.dropped).toBe(1);
    expect(started).toEqual([0, 1]);
    expect(l.full).toBe(true);
    const slot = l.slot();
    gates[0]!.open();
    await slot;
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.open();
    gates[2]!.open();
    await l.idle();
    expect(l.full).toBe(false);
  });

  it('a failing task frees its slot', async () => {
    const l = new Limiter(1);
    l.run(async () => { throw new Error('boom'); });
    let ran = false;
    l.run(async () => { ran = true; });
    await l.idle();
    expect(ran).toBe(true);
  });
});
