import { describe, expect, it } from 'vitest';
import { StoreExpiredError } from '../../src/store/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';
import { obj, range } from './helpers.js';

storeContract('MemoryStore', async () => {
  const store = new MemoryStore();
  await store.start();
  return { store, dispose: () => store.stop() };
});

describe('MemoryStore history', () => {
  it('is the ring: watches older than it are expired', async () => {
    const store = new MemoryStore({ historyLimit: 5 });
    await store.start();
    for (const i of range(1, 8)) await store.create(`k/${i}`, obj(`${i}`));
    expect(store.compactedRevision()).toBe(3);
    expect(() => store.watch('k/', { fromRevision: 2 }, { onEvent: () => undefined })).toThrow(StoreExpiredError);
    const seen: number[] = [];
    store.watch('k/', { fromRevision: 3 }, { onEvent: (e) => seen.push(e.entry.modRevision) });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([4, 5, 6, 7, 8]);
    await store.stop();
  });
});
