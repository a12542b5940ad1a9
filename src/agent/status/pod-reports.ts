// Pod status reports wait a moment before they go to the master, and a newer report of a pod
// replaces the one still waiting: a pod that starts quickly goes from nothing to Running in one
// report (one MQTT message, one store write in the master) instead of three or four
// (Pending, sandbox up, started, ready), which is most of the master's work per pod when
// many pods start at once. Reports are whole statuses, so sending only the latest loses nothing.
import type { PodStatusReport } from '../../protocol/messages.js';
import type { Clock, TimerHandle } from '../clock.js';

export class PodReportBatcher {
  private readonly waiting = new Map<string, PodStatusReport>();
  private timer: TimerHandle | undefined;

  /**
   * @param delayMs how long the first waiting report may wait; 0 sends every report at once.
   * @param send sends one report (called in the order the pods first changed).
   */
  constructor(private readonly clock: Clock, private readonly delayMs: number, private readonly send: (r: PodStatusReport) => void) {}

  add(r: PodStatusReport): void {
    if (this.delayMs <= 0) {
      this.send(r);
      return;
    }
    this.waiting.set(r.uid, r);
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.delayMs);
  }

  /** Sends what waits now (before a resend of everything, or at stop). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const reports = [...this.waiting.values()];
    this.waiting.clear();
    for (const r of reports) this.send(r);
  }

  /** Reports waiting to go out. */
  get pending(): number {
    return this.waiting.size;
  }
}
