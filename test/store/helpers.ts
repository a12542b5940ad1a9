// Test helpers shared by the store suites.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Store, StoredValue, WatchEvent, WatchHandle, WatchOptions } from '../../src/store/store.js';

export function obj(name: string, labels?: Record<string, string>, extra: Record<string, unknown> = {}): StoredValue {
  const metadata: { name: string; labels?: Record<string, string> } = labels ? { name, labels } : { name };
  return { ...extra, metadata };
}

export interface Recorder {
  events: WatchEvent[];
  handle: WatchHandle;
  closed: { reason: Error | undefined } | undefined;
  revisions(): number[];
}

export function record(store: Store, prefix: string, opts: WatchOptions): Recorder {
  const r: Recorder = {
    events: [],
    closed: undefined,
    handle: { close: () => undefined },
    revisions: () => r.events.map((e) => e.entry.modRevision),
  };
  r.handle = store.watch(prefix, opts, {
    onEvent: (e) => r.events.push(e),
    onClose: (reason) => { r.closed = { reason }; },
  });
  return r;
}

/** Yield to the event loop until cond holds; the deadline is only a safety net, never asserted on. */
export async function until(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export async function tempDir(tag: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bramble-${tag}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
