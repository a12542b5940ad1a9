// The scheduling queue, after Kubernetes': three parts for pods without a node.
// - active: ready to try now, highest spec.priority first, then oldest;
// - backoff: failed recently, waiting out a per-pod delay that doubles with each failure;
// - unschedulable: fitted nowhere; they wait for a cluster change that could help (node added
//   or updated, a pod deleted or finished), or a periodic retry, then go to backoff or active.
// A pod is in at most one part. Time comes from `now`, so tests can drive it.
import type { Pod } from '../api/schemas.js';
import { Heap } from './heap.js';
import { podKey } from './node-info.js';

export interface QueueOptions {
  now: () => number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  unschedulableRetryMs: number;
}

interface Entry {
  pod: Pod;
  seq: number;
}

interface Attempts {
  count: number;
  /** When the pod's back-off ends. */
  until: number;
  /** When it was last marked unschedulable (for the periodic retry). */
  since: number;
}

function comesFirst(a: Entry, b: Entry): boolean {
  const pa = a.pod.spec.priority ?? 0;
  const pb = b.pod.spec.priority ?? 0;
  if (pa !== pb) return pa > pb;
  const ta = a.pod.metadata.creationTimestamp ?? '';
  const tb = b.pod.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb;
  return a.seq < b.seq;
}

export class SchedulingQueue {
  private readonly heap = new Heap<Entry>(comesFirst);
  /** key → the live entry in the heap (stale heap entries are skipped on pop). */
  private readonly active = new Map<string, Entry>();
  private readonly backoff = new Map<string, Pod>();
  private readonly unschedulable = new Map<string, Pod>();
  private readonly attempts = new Map<string, Attempts>();
  private seq = 0;
  /** No waiting pod is due before this: flush() on every pop stays O(1) while nothing is due. */
  private due = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: QueueOptions) {}

  get sizes(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key);
  }

  /** A new pending pod, or a new version of one: an updated unschedulable pod gets another try. */
  add(pod: Pod): void {
    const key = podKey(pod);
    const entry = this.active.get(key);
    if (entry) { entry.pod = pod; return; }
    if (this.backoff.has(key)) { this.backoff.set(key, pod); return; }
    this.unschedulable.delete(key);
    this.toActiveOrBackoff(key, pod);
  }

  /** A new version of a queued pod that changes nothing the filters read (its status): keep its place. */
  update(pod: Pod): void {
    const key = podKey(pod);
    const entry = this.active.get(key);
    if (entry) entry.pod = pod;
    else if (this.backoff.has(key)) this.backoff.set(key, pod);
    else if (this.unschedulable.has(key)) this.unschedulable.set(key, pod);
    else this.add(pod);
  }

  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.attempts.delete(key);
  }

  /** The next pod to try, or undefined if none is ready. */
  pop(): Pod | undefined {
    this.flush();
    for (;;) {
      const e = this.heap.pop();
      if (!e) return undefined;
      const key = podKey(e.pod);
      if (this.active.get(key) !== e) continue; // moved or deleted since it was pushed
      this.active.delete(key);
      return e.pod;
    }
  }

  /** It fitted nowhere: wait for a cluster change (or the periodic retry), then back off. */
  unschedulableAgain(pod: Pod): void {
    const key = podKey(pod);
    const a = this.bump(key);
    this.unschedulable.set(key, pod);
    this.dueBy(a.since + this.opts.unschedulableRetryMs);
  }

  /** An error (bind failed, API unavailable): retry after the back-off, without waiting for a change. */
  retryLater(pod: Pod): void {
    const key = podKey(pod);
    const a = this.bump(key);
    this.backoff.set(key, pod);
    this.dueBy(a.until);
  }

  /** Placed: the next failure of the same pod starts from the initial back-off again. */
  forget(key: string): void {
    this.attempts.delete(key);
    // A pod still waiting in back-off is due at once now: let the next flush look.
    if (this.backoff.has(key)) this.due = Number.NEGATIVE_INFINITY;
  }

  /** Something changed that might let unschedulable pods fit. */
  moveAllUnschedulable(): void {
    for (const [key, pod] of this.unschedulable) this.toActiveOrBackoff(key, pod);
    this.unschedulable.clear();
  }

  /** Moves pods whose back-off has ended to active, and long-waiting unschedulable pods too. */
  flush(): void {
    const now = this.opts.now();
    if (now < this.due) return;
    this.due = Number.POSITIVE_INFINITY;
    for (const [key, pod] of this.backoff) {
      const until = this.attempts.get(key)?.until ?? 0;
      if (until <= now) {
        this.backoff.delete(key);
        this.push(key, pod);
      } else {
        this.dueBy(until);
      }
    }
    for (const [key, pod] of this.unschedulable) {
      const retryAt = (this.attempts.get(key)?.since ?? 0) + this.opts.unschedulableRetryMs;
      if (retryAt <= now) {
        this.unschedulable.delete(key);
        this.toActiveOrBackoff(key, pod);
      } else {
        this.dueBy(retryAt);
      }
    }
  }

  /** Milliseconds until the next pod leaves back-off or the unschedulable wait (undefined: nothing waits). */
  nextWakeIn(): number | undefined {
    const now = this.opts.now();
    let next: number | undefined;
    const consider = (t: number): void => { next = next === undefined ? t : Math.min(next, t); };
    for (const key of this.backoff.keys()) consider((this.attempts.get(key)?.until ?? now) - now);
    for (const key of this.unschedulable.keys()) consider((this.attempts.get(key)?.since ?? now) + this.opts.unschedulableRetryMs - now);
    return next === undefined ? undefined : Math.max(0, next);
  }

  backoffMs(attempts: number): number {
    return Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** Math.max(0, attempts - 1));
  }

  private bump(key: string): Attempts {
    const now = this.opts.now();
    const count = (this.attempts.get(key)?.count ?? 0) + 1;
    const a = { count, until: now + this.backoffMs(count), since: now };
    this.attempts.set(key, a);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    return a;
  }

  private dueBy(t: number): void {
    if (t < this.due) this.due = t;
  }

  private toActiveOrBackoff(key: string, pod: Pod): void {
    const until = this.attempts.get(key)?.until ?? 0;
    if (until > this.opts.now()) {
      this.backoff.set(key, pod);
      this.dueBy(until);
    } else {
      this.push(key, pod);
    }
  }

  private push(key: string, pod: Pod): void {
    const e: Entry = { pod, seq: this.seq++ };
    this.active.set(key, e);
    this.heap.push(e);
  }
}
