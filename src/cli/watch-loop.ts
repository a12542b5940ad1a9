// Follows a collection for as long as the caller wants: resumes from the last resourceVersion seen when the
// server ends a watch (timeoutSeconds), and relists when that version has been compacted away (410 Gone).
import type { ResourceType } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { ApiClient, WatchEventType } from '../client/client.js';

export interface WatchLoopOptions {
  labelSelector?: string;
  fieldSelector?: string;
  signal: AbortSignal;
  onEvent(type: WatchEventType, obj: KObject): void;
  /** After a relist: the current objects (events in between may have been missed). */
  onRelist(items: KObject[]): void;
}

export async function watchLoop(client: ApiClient, rt: ResourceType, ns: string | undefined, fromVersion: string, opts: WatchLoopOptions): Promise<void> {
  let rv = fromVersion;
  const sel = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  while (!opts.signal.aborted) {
    let gone = false;
    try {
      for await (const ev of client.watch(rt, ns, { ...sel, resourceVersion: rv, allowWatchBookmarks: true, signal: opts.signal })) {
        if (ev.type === 'ERROR') {
          if (ev.object.code === 410) { gone = true; break; }
          throw StatusError.fromStatus(ev.object);
        }
        rv = ev.object.metadata.resourceVersion ?? rv;
        if (ev.type !== 'BOOKMARK') opts.onEvent(ev.type, ev.object);
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      if (!(err instanceof StatusError && err.code === 410)) throw err;
      gone = true;
    }
    if (gone) {
      const list = await client.listAll(rt, ns, sel);
      rv = list.metadata.resourceVersion;
      opts.onRelist(list.items);
    }
  }
}
