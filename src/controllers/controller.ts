// What every controller is: a reconcile function over keys, fed by informer events through a
// rate-limited work queue. The loop here owns the queue, the retries and the logging; each
// controller only says which keys an event touches and how to reconcile one key.
import type { ApiInterface } from '../client/api.js';
import type { EventRecorder } from '../client/events.js';
import type { SharedInformers } from '../client/informer.js';
import type { Logger } from '../log/logger.js';
import { WorkQueue, type WorkQueueOptions } from './workqueue.js';

/** What a controller is given (no globals: tests wire their own). */
export interface ControllerContext {
  api: ApiInterface;
  informers: SharedInformers;
  events: EventRecorder;
  logger: Logger;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now: () => number;
}

export interface Controller {
  readonly name: string;
  /** Registers informer handlers; the manager starts the informers afterwards. */
  start(): void;
  stop(): Promise<void>;
}

/** What a reconcile may ask for besides success: look at this key again later. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface ReconcileLoopOptions extends WorkQueueOptions {
  name: string;
  logger: Logger;
  reconcile: (key: string) => Promise<ReconcileResult> | Promise<void>;
  /** Parallel workers (keys are never processed twice at once). Default 2. */
  workers?: number;
}

export class ReconcileLoop {
  readonly queue: WorkQueue;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ReconcileLoopOptions) {
    this.queue = new WorkQueue(opts);
  }

  start(): void {
    this.running ??= this.queue.run((key) => this.handle(key), this.opts.workers ?? 2);
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.running;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  private async handle(key: string): Promise<void> {
    try {
      const res: ReconcileResult | undefined = (await this.opts.reconcile(key)) ?? undefined;
      this.queue.forget(key);
      if (res?.requeueAfterMs !== undefined) this.queue.addAfter(key, res.requeueAfterMs);
    } catch (err) {
      const attempt = this.queue.requeues(key) + 1;
      // Conflicts are expected (a newer object is on its way through the informer): not worth a warning.
      const level = isConflict(err) ? 'debug' : 'warn';
      this.opts.logger[level]({ err, controller: this.opts.name, key, attempt }, 'reconcile failed; retrying with back-off');
      this.queue.addRateLimited(key);
    }
  }
}

export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 409;
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404;
}

/** 403 on a controller's write: typically creating in a namespace that has started terminating. */
export function isForbidden(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 403;
}

export function isAlreadyExists(err: unknown): boolean {
  return isConflict(err) && (err as { reason?: unknown }).reason === 'AlreadyExists';
}

/** "ns/name" as informers key objects; cluster-scoped objects have an empty namespace. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  const ns = key.slice(0, i);
  return { namespace: ns === '' ? undefined : ns, name: key.slice(i + 1) };
}
