// Store benchmark: durable writes per second on the LevelStore (one writer; 64 concurrent
// writers sharing group commits), with raw `level` synced puts and synced batches of 64 as the
// disk's own reference. Also runnable alone: node --import tsx bench/store.ts
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Level } from 'level';
import { silentLogger } from '../src/log/logger.js';
import { LevelStore } from '../src/store/level.js';
import type { BenchRow } from './types.js';

const PHASE_MS = 2000;
const CONCURRENCY = 64;

/** A ~1 KiB object, shaped like a small pod. */
function payload(i: number): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', labels: { app: 'bench' } }, spec: { image: 'busybox', data: 'x'.repeat(880) } };
}

async function withDir<T>(tag: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bramble-bench-${tag}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run `writers` loops of `op` for PHASE_MS; returns operations per second. */
async function measure(writers: number, op: (writer: number, i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + PHASE_MS;
  const start = performance.now();
  let done = 0;
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; performance.now() < end; i++) {
      await op(w, i);
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

async function storeWrites(writers: number): Promise<{ rate: number; writesPerBatch: number }> {
  return withDir('store', async (dir) => {
    const store = new LevelStore({ path: dir, logger: silentLogger() });
    await store.start();
    const seen = new Set<string>();
    const rate = await measure(writers, async (w, i) => {
      const key = `pods/default/w${w}-${i % 100}`;
      if (seen.has(key)) return store.update(key, payload(i));
      seen.add(key);
      return store.create(key, payload(i));
    });
    const s = store.stats();
    await store.stop();
    return { rate, writesPerBatch: s.syncedWrites / Math.max(1, s.batches) };
  });
}

async function volatileWrites(): Promise<number> {
  return withDir('volatile', async (dir) => {
    const store = new LevelStore({ path: dir, logger: silentLogger() });
    await store.start();
    await store.create('nodes/n1', payload(0));
    const rate = await measure(1, (_w, i) => store.update('nodes/n1', { ...payload(0), status: { heartbeat: i } }, { volatile: true }));
    await store.stop();
    return rate;
  });
}

async function rawLevel(batchSize: number): Promise<number> {
  return withDir('raw', async (dir) => {
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await db.open();
    const ops = await measure(1, (_w, i) =>
      batchSize === 1
        ? db.put(`k${i}`, payload(i), { sync: true })
        : db.batch(Array.from({ length: batchSize }, (_, j) => ({ type: 'put' as const, key: `k${i}-${j}`, value: payload(j) })), { sync: true }));
    await db.close();
    return ops * batchSize;
  });
}

export async function benchStore(): Promise<BenchRow[]> {
  const single = await storeWrites(1);
  const many = await storeWrites(CONCURRENCY);
  const volatile = await volatileWrites();
  const rawPut = await rawLevel(1);
  const rawBatch = await rawLevel(CONCURRENCY);
  return [
    { name: 'store: durable writes, 1 writer', value: Math.round(single.rate), unit: 'writes/s', note: 'LevelStore create/update of ~1 KiB objects, each awaited until fsynced' },
    {
      name: `store: durable writes, ${CONCURRENCY} writers`, value: Math.round(many.rate), unit: 'writes/s', target: `>= ${Math.round(single.rate * 4)}`,
      note: `group commit: ${many.writesPerBatch.toFixed(1)} writes per synced batch; target = 4x the single-writer rate`,
    },
    { name: 'store: volatile updates, 1 writer', value: Math.round(volatile), unit: 'writes/s', note: 'heartbeat-style updates: memory and watchers only, no disk' },
    { name: 'level: synced single puts', value: Math.round(rawPut), unit: 'puts/s', note: 'raw level put(sync) of ~1 KiB, sequential: the fsync rate of this disk' },
    { name: `level: synced batches of ${CONCURRENCY}`, value: Math.round(rawBatch), unit: 'puts/s', note: `raw level batch(sync) of ${CONCURRENCY} puts: the ceiling for group commit` },
  ];
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const rows = await benchStore();
  console.table(rows.map(({ name, value, unit, target }) => ({ name, value, unit, target: target ?? '' })));
  for (const r of rows) if (r.note) console.log(`- ${r.name}: ${r.note}`);
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'store.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
}
