// Events as Kubernetes records them: one Event object per (object, type, reason, message),
// its count and lastTimestamp bumped when the same thing happens again, so a pod failing to
// schedule every few seconds leaves one Event with count 40, not 40 Events. Recording never
// throws and never blocks the caller: an Event is a hint for people, not part of the state.
import { randomBytes } from 'node:crypto';
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import type { ApiInterface } from './api.js';
import type { Logger } from '../log/logger.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  api: ApiInterface;
  /** Who records: "default-scheduler", "deployment-controller", ... */
  component: string;
  logger: Logger;
  host?: string;
  now?: () => number;
  /** How many distinct events are remembered for aggregation (default 4096). */
  cacheSize?: number;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  first: string;
}

const eventsType = resourceByKind('v1', 'Event') as ResourceType;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private pending = new Set<Promise<void>>();

  constructor(private readonly opts: EventRecorderOptions) {}

  /** A recorder for another component sharing this one's API and cache. */
  forComponent(component: string): EventRecorder {
    return new EventRecorder({ ...this.opts, component });
  }

  /** Never rejects; the promise settles when the write is done (callers may pace their Events on it). */
  record(obj: KObject, type: EventType, reason: string, message: string): Promise<void> {
    const p = this.write(obj, type, reason, message).catch((err: unknown) => {
      this.opts.logger.debug({ err, reason, object: obj.metadata.name }, 'event not recorded');
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** Waits for the events recorded so far to be written (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async write(obj: KObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata;
    // Events of cluster-scoped objects (Nodes) go to "default", as Kubernetes does.
    const namespace = m.namespace ?? 'default';
    const key = [obj.kind, namespace, m.name, m.uid, type, reason, message, this.opts.component].join('\u0000');
    const now = new Date(this.opts.now?.() ?? Date.now()).toISOString();
    const seen = this.seen.get(key);
    if (seen) {
      seen.count++;
      this.touch(key, seen);
      try {
        await this.opts.api.patch(eventsType, seen.namespace, seen.name, { count: seen.count, lastTimestamp: now }, 'merge');
        return;
      } catch {
        // Expired or deleted: record it afresh below.
      }
    }
    const name = `${m.name ?? 'unknown'}.${randomBytes(8).toString('hex')}`;
    const event: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: obj.kind, apiVersion: obj.apiVersion, name: m.name, uid: m.uid,
        resourceVersion: m.resourceVersion, ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      },
      type, reason, message,
      source: { component: this.opts.component, ...(this.opts.host !== undefined ? { host: this.opts.host } : {}) },
      reportingComponent: this.opts.component,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    };
    this.touch(key, { namespace, name, count: 1, first: now });
    await this.opts.api.create(eventsType, namespace, event);
  }

  private touch(key: string, seen: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, seen);
    const max = this.opts.cacheSize ?? 4096;
    if (this.seen.size > max) this.seen.delete(this.seen.keys().next().value as string);
  }
}
