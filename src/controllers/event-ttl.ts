// Event TTL: Events are hints for people, and a fleet records many (a pod failing to pull on
// a thousand Pis), so they expire. Kubernetes gives each Event an etcd lease; Bramble's store
// has no leases, so this controller sweeps: one key, re-run every interval, listing Events in
// pages (no cache of every Event in memory) and deleting those past the TTL.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import type { ControllerConfig } from './config.js';
import { isNotFound, ReconcileLoop, type Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import type { ControllerFactory } from './manager.js';

const eventsType = resourceByKind('v1', 'Event') as ResourceType;
const sweepKey = 'sweep';
const pageSize = 500;

/** When an Event was last seen happening: lastTimestamp, else eventTime/firstTimestamp, else its creation. */
export function eventLastSeenMs(ev: KObject): number | undefined {
  for (const f of [ev.lastTimestamp, ev.eventTime, ev.firstTimestamp, ev.metadata.creationTimestamp]) {
    if (typeof f !== 'string') continue;
    const ms = Date.parse(f);
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/** Whether the Event is older than the TTL at `nowMs` (an Event with no time at all is kept). */
export function eventExpired(ev: KObject, nowMs: number, ttlSeconds: number): boolean {
  const seen = eventLastSeenMs(ev);
  return seen !== undefined && nowMs - seen >= ttlSeconds * 1000;
}

/** A quarter of the TTL, between 1 s and 1 min: an Event outlives its TTL by at most that. */
export function sweepIntervalMs(ttlSeconds: number): number {
  return Math.min(60_000, Math.max(1000, (ttlSeconds * 1000) / 4));
}

export class EventTTLController implements Controller {
  readonly name = 'event-ttl';
  private readonly loop: ReconcileLoop;

  constructor(private readonly ctx: ControllerContext, private readonly config: ControllerConfig) {
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: () => this.sweep(), workers: 1 });
  }

  start(): void {
    this.loop.start();
    this.loop.enqueue(sweepKey);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  async sweep(): Promise<ReconcileResult> {
    const now = this.ctx.now();
    let deleted = 0;
    let cont: string | undefined;
    do {
      const page = await this.ctx.api.list(eventsType, undefined, { limit: pageSize, ...(cont !== undefined ? { continue: cont } : {}) });
      for (const ev of page.items) {
        if (!eventExpired(ev, now, this.config.eventTTLSeconds)) continue;
        try {
          await this.ctx.api.delete(eventsType, ev.metadata.namespace, ev.metadata.name ?? '');
          deleted++;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      cont = page.metadata.continue;
    } while (cont !== undefined);
    if (deleted > 0) this.ctx.logger.debug({ deleted }, 'expired events deleted');
    return { requeueAfterMs: sweepIntervalMs(this.config.eventTTLSeconds) };
  }
}

export const eventTTLController: ControllerFactory = {
  name: 'event-ttl',
  make: (ctx, config) => new EventTTLController(ctx, config),
};
