// Time as the agent sees it. Everything time-driven in the agent (back-off, probes, heartbeats,
// resync) goes through a Clock, so tests advance a manual clock instead of sleeping, and hollow
// agents share one coarse timer wheel instead of thousands of timers.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    // An agent's timers must never keep a process alive on their own: stop() is what ends it.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Many agents in one process (hollow agents): timers are rounded up to `granularityMs` and
 * every timer due in the same slot shares one real timer.
 */
export class CoarseClock implements Clock {
  private readonly slots = new Map<number, Set<() => void>>();
  private readonly real = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(private readonly granularityMs = 250) {}

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const g = this.granularityMs;
    const slot = Math.ceil((Date.now() + Math.max(0, ms)) / g) * g;
    let set = this.slots.get(slot);
    if (!set) {
      set = new Set();
      this.slots.set(slot, set);
      const t = setTimeout(() => this.fire(slot), Math.max(0, slot - Date.now()));
      t.unref();
      this.real.set(slot, t);
    }
    const entry = (): void => fn();
    set.add(entry);
    return { cancel: () => { set.delete(entry); } };
  }

  private fire(slot: number): void {
    const set = this.slots.get(slot);
    this.slots.delete(slot);
    this.real.delete(slot);
    for (const fn of set ?? []) fn();
  }
}
