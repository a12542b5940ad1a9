// Bounded concurrency for the scheduler's API writes. The decision loop never waits for a write
// (the assumed-pod cache already counts a pod on its node), but thousands of writes in flight
// would only queue up in the API server and hold memory: the loop waits for a free bind slot
// instead, as kube-scheduler's binding goroutines are bounded by its parallelism. Events are
// hints for people, so they yield to binds: a few at a time, and past a cap they are dropped
// (kube-scheduler's event broadcaster drops too when its queue is full).

export class Limiter {
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly waiters: (() => void)[] = [];
  /** Tasks dropped because the queue was full. */
  dropped = 0;

  constructor(private readonly limit: number, private readonly maxQueued = Number.POSITIVE_INFINITY) {}

  get full(): boolean {
    return this.running >= this.limit;
  }

  /** Starts `task` now or when a slot frees; false if it was dropped (queue full). */
  run(task: () => Promise<void>): boolean {
    if (this.running < this.limit) {
      this.start(task);
      return true;
    }
    if (this.queue.length >= this.maxQueued) {
      this.dropped++;
      return false;
    }
    this.queue.push(task);
    return true;
  }

  /** Resolves when a slot is free (at once if one is). */
  async slot(): Promise<void> {
    if (!this.full) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.running > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private start(task: () => Promise<void>): void {
    this.running++;
    // A task's own errors are its business (callers catch and log); the slot is freed either way.
    void task().catch(() => undefined).finally(() => {
      this.running--;
      const next = this.queue.shift();
      if (next) this.start(next);
      for (const w of this.waiters.splice(0)) w();
    });
  }
}
