// Backend syncs, coalesced: at most one in flight, and whatever is asked for while it runs is
// done once after it, with the state as it is then (the latest wins). A burst of endpoint
// changes costs one or two syncs, not one each. A failed sync is retried after a pause.
export interface SyncLoopOptions {
  /** Brings the backend to the current desired state (read when it runs, not when asked). */
  run: () => Promise<void>;
  onError: (err: unknown) => void;
  /** Pause before retrying a failed sync (default 5 s). */
  retryMs?: number;
}

export class SyncLoop {
  private active = false;
  private dirty = false;
  private running: Promise<void> | undefined;
  /** Set while a failed sync waits for its retry, so changes meanwhile do not spin. */
  private retry: NodeJS.Timeout | undefined;
  /** Syncs run (tests look at coalescing). */
  runs = 0;

  constructor(private readonly o: SyncLoopOptions) {}

  /** Syncs may run from now on (one runs at once if any was asked for). */
  start(): void {
    this.active = true;
    if (this.dirty) this.kick();
  }

  /** No more syncs; resolves when the one in flight (if any) is done. */
  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.settled();
  }

  /** The desired state changed. */
  kick(): void {
    this.dirty = true;
    if (!this.active || this.running || this.retry) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A change that came in as the loop was ending.
      if (this.dirty && this.active && !this.retry) this.kick();
    });
  }

  /** Resolves when no sync is in flight or wanted (a pending retry aside). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty && this.active) {
      this.dirty = false;
      try {
        this.runs++;
        await this.o.run();
      } catch (err) {
        this.o.onError(err);
        this.dirty = true;
        this.retry = setTimeout(() => { this.retry = undefined; this.kick(); }, this.o.retryMs ?? 5000);
        this.retry.unref();
        return;
      }
    }
  }
}
