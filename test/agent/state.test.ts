import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyState, MemoryStateStore, StateFileError, StateStore, stateFileName } from '../../src/agent/state.js';
import { bundle, pod, tempDir } from './helpers.js';

// mkdir passes through to the real one; the tests count the calls.
const fsCalls = vi.hoisted(() => ({ mkdir: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, mkdir: (...args: Parameters<typeof real.mkdir>) => { fsCalls.mkdir++; return real.mkdir(...args); } };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

async function dir(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('local state file', () => {
  it('round-trips bundles and the applied revision; the file is private', async () => {
    const d = await dir();
    const store = new StateStore(d);
    expect(await store.load()).toBeUndefined();
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } };
    const b = bundle(pod('a'), { secrets: [secret] });
    await store.save({ ...emptyState(), appliedRevision: 42, pods: new Map([[b.pod.metadata.uid!, b]]) });
    const loaded = await new StateStore(d).load();
    expect(loaded?.appliedRevision).toBe(42);
    expect([...loaded!.pods.values()]).toEqual([b]);
    expect((await stat(path.join(d, stateFileName))).mode & 0o777).toBe(0o600);
  });

  it('never leaves a torn file: concurrent saves serialize, the last one wins, no temp files remain', async () => {
    const d = await dir();
    const store = new StateStore(d);
    const saves = Array.from({ length: 20 }, (_, i) => store.save({ ...emptyState(), appliedRevision: i, pods: new Map() }));
    await Promise.all(saves);
    expect((await store.load())?.appliedRevision).toBe(19);
    expect(await readdir(d)).toEqual([stateFileName]);
  });

  it('saves made while a write is on disk are coalesced: the newest is written once after it, and every caller waits for it', async () => {
    const d = await dir();
    const store = new StateStore(d);
    // Private, but the count of file replacements is the point of this test.
    const replace = vi.spyOn(store as unknown as { replace: (text: string) => Promise<void> }, 'replace');
    const settled: number[] = [];
    const saves = Array.from({ length: 20 }, (_, i) => store.save({ ...emptyState(), appliedRevision: i, pods: new Map() }).then(() => settled.push(i)));
    await Promise.all(saves);
    expect(replace).toHaveBeenCalledTimes(2);
    expect(JSON.parse(replace.mock.calls[1]![0]).appliedRevision).toBe(19);
    expect(settled).toHaveLength(20);
    expect((await store.load())?.appliedRevision).toBe(19);
    // Once idle, a save writes at once again.
    await store.save({ ...emptyState(), appliedRevision: 20, pods: new Map() });
    expect(replace).toHaveBeenCalledTimes(3);
  });

  it('a crash mid-write (a stray temp file) leaves the previous state intact', async () => {
    const d = await dir();
    const store = new StateStore(d);
    await store.save({ ...emptyState(), appliedRevision: 7, pods: new Map() });
    await writeFile(path.join(d, `${stateFileName}.tmp-999`), '{"version":1,"appliedRev');
    expect((await new StateStore(d).load())?.appliedRevision).toBe(7);
  });

  it('refuses a damaged file with a message that says what to do', async () => {
    const d = await dir();
    await writeFile(path.join(d, stateFileName), '{not json');
    await expect(new StateStore(d).load()).rejects.toThrow(StateFileError);
    await expect(new StateStore(d).load()).rejects.toThrow(/move it away/);
  });

  it('an identical save does not touch the disk', async () => {
    const d = await dir();
    const store = new StateStore(d);
    await store.save({ ...emptyState(), appliedRevision: 1, pods: new Map() });
    const before = (await stat(path.join(d, stateFileName))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await store.save({ ...emptyState(), appliedRevision: 1, pods: new Map() });
    expect((await stat(path.join(d, stateFileName))).mtimeMs).toBe(before);
    expect(JSON.parse(await readFile(path.join(d, stateFileName), 'utf8'))).toMatchObject({ version: 1, appliedRevision: 1 });
  });

  it('keeps the Services the proxy serves; a file from before them loads with none', async () => {
    const d = await dir();
    const store = new StateStore(d);
    const web = { namespace: 'default', name: 'web', revision: 9, clusterIP: '10.96.0.5', ports: [{ protocol: 'TCP' as const, port: 80, nodePort: 30080, endpoints: [{ ip: '192.168.1.4', port: 31000 }] }] };
    await store.save({ ...emptyState(), services: new Map([['default/web', web]]), servicesRevision: 9 });
    const loaded = await new StateStore(d).load();
    expect([...loaded!.services.entries()]).toEqual([['default/web', web]]);
    expect(loaded!.servicesRevision).toBe(9);
    await writeFile(path.join(d, stateFileName), JSON.stringify({ version: 1, appliedRevision: 3, pods: [] }));
    const old = await new StateStore(d).load();
    expect(old!.services.size).toBe(0);
    expect(old!.servicesRevision).toBe(0);
  });

  it('makes the directory once, not before every write; made again if it vanishes under the running agent', async () => {
    const d = path.join(await dir(), 'state');
    const store = new StateStore(d);
    const before = fsCalls.mkdir;
    for (let i = 1; i <= 5; i++) await store.save({ ...emptyState(), appliedRevision: i, pods: new Map() });
    expect(fsCalls.mkdir - before).toBe(1);
    expect((await stat(d)).mode & 0o777).toBe(0o700);
    await rm(d, { recursive: true });
    await store.save({ ...emptyState(), appliedRevision: 6, pods: new Map() });
    expect(fsCalls.mkdir - before).toBe(2);
    expect((await stat(d)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(d, stateFileName))).mode & 0o777).toBe(0o600);
    expect((await new StateStore(d).load())?.appliedRevision).toBe(6);
    expect(await readdir(d)).toEqual([stateFileName]);
    await store.save({ ...emptyState(), appliedRevision: 7, pods: new Map() });
    expect(fsCalls.mkdir - before).toBe(2);
  });

  it('a write that fails for another reason is a StateFileError, leaves no temp file, and the next save works', async () => {
    const d = await dir();
    const store = new StateStore(d);
    await store.save({ ...emptyState(), appliedRevision: 1, pods: new Map() });
    // The file's name taken by a directory: the rename fails (EISDIR/ENOTEMPTY), not ENOENT.
    await rm(path.join(d, stateFileName));
    const blocker = path.join(d, stateFileName);
    await mkdir(blocker);
    await writeFile(path.join(blocker, 'keep'), '');
    await expect(store.save({ ...emptyState(), appliedRevision: 2, pods: new Map() })).rejects.toThrow(StateFileError);
    expect(await readdir(d)).toEqual([stateFileName]);
    await rm(blocker, { recursive: true });
    await store.save({ ...emptyState(), appliedRevision: 3, pods: new Map() });
    expect((await new StateStore(d).load())?.appliedRevision).toBe(3);
  });
});

describe('hollow agents\' state in memory', () => {
  it('loads nothing before the first save, then a copy of what was saved that later changes to the saved maps do not reach', async () => {
    const store = new MemoryStateStore();
    expect(await store.load()).toBeUndefined();
    const b = bundle(pod('web'));
    const state = { ...emptyState(), appliedRevision: 3, pods: new Map([[b.pod.metadata.uid!, b]]) };
    await store.save(state);
    state.pods.clear();
    const loaded = await store.load();
    expect(loaded?.appliedRevision).toBe(3);
    expect([...loaded!.pods.values()]).toEqual([b]);
  });
});
