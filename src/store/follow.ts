// Following a key prefix of the store from memory: list, then watch from the listed revision;
// a watch the store closes (the follower fell behind) is started over the same way. One loop
// for the API server's in-memory indexes (tokens, service-account tokens, service allocations).
import type { Logger } from '../log/logger.js';
import type { Entry, Store, StoredValue, WatchHandle } from './store.js';

/**
 * Hands every entry under `prefix` to `apply` (gone: it was deleted), now and as it changes,
 * until the returned handle is closed. `what` names the follower in log lines. `reset`, if
 * given, is called just before each listing is applied (synchronously, so no event slips in):
 * a follower that drops what it held there forgets entries deleted while its watch was behind.
 */
export async function followPrefix<T extends StoredValue = StoredValue>(
  store: Store,
  prefix: string,
  apply: (e: Entry<T>, gone: boolean) => void,
  log: Logger,
  what: string,
  reset?: () => void,
): Promise<WatchHandle> {
  let closed = false;
  let watch: WatchHandle | undefined;
  const run = async (): Promise<void> => {
    const { items, revision } = await store.list<T>(prefix);
    if (closed) return;
    reset?.();
    for (const e of items) apply(e, false);
    watch = store.watch<T>(prefix, { fromRevision: revision }, {
      onEvent: (ev) => apply(ev.entry, ev.type === 'DELETED'),
      onClose: () => {
        if (closed) return;
        log.warn({ prefix }, `${what} fell behind; reloading`);
        run().catch((err: unknown) => log.error({ err, prefix }, `${what} reload failed`));
      },
    });
  };
  await run();
  return {
    close: () => {
      closed = true;
      watch?.close();
    },
  };
}
