// kill -9 durability: a real child process writes under load and is SIGKILLed mid-write;
// every write it saw acknowledged must survive, and revisions must never go backwards.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { LevelStore } from '../../src/store/level.js';
import { tempDir } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const writerScript = path.join(root, 'test/store/fixtures/writer.ts');
const ACKS_BEFORE_KILL = 3000;

interface Ack { kind: 'D' | 'V'; key: string; rev: number }

/** Run the writer until it has acknowledged `count` writes, then SIGKILL it. */
function runAndKill(dir: string, cycle: number, count: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dir, String(cycle)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let rest = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? ''; // an unterminated line was not fully printed: ignore it
      for (const line of lines) {
        const [kind, key, rev] = line.split(' ');
        if ((kind === 'D' || kind === 'V') && key && rev) acks.push({ kind, key, rev: Number(rev) });
      }
      if (!killed && acks.length >= count) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`writer exited early (code ${code}): ${stderr}`));
    });
  });
}

describe('LevelStore survives kill -9', () => {
  let tmp: { dir: string; remove(): Promise<void> };
  beforeAll(async () => { tmp = await tempDir('durability'); });
  afterAll(async () => { await tmp.remove(); });

  it('keeps every acknowledged write across several kill cycles', async () => {
    let floor = 0;
    for (const cycle of [0, 1, 2]) {
      const acks = await runAndKill(tmp.dir, cycle, ACKS_BEFORE_KILL);
      expect(acks.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

      const store = new LevelStore({ path: tmp.dir, logger: silentLogger() });
      await store.start();
      const maxAcked = Math.max(...acks.map((a) => a.rev));
      expect(store.revision()).toBeGreaterThanOrEqual(maxAcked);
      expect(store.revision()).toBeGreaterThanOrEqual(floor);

      const lost: string[] = [];
      for (const a of acks.filter((x) => x.kind === 'D')) {
        const entry = await store.get(a.key);
        if (!entry || entry.modRevision < a.rev) lost.push(`${a.key}@${a.rev} (found ${entry?.modRevision ?? 'nothing'})`);
      }
      expect(lost).toEqual([]);

      const next = await store.create(`after-crash/${cycle}`, { cycle });
      expect(next.modRevision).toBeGreaterThan(maxAcked);
      floor = next.modRevision;
      // Leave as a crash would, so the next cycle also starts from an unclean shutdown.
      await store.abandon();
    }
  }, 30_000);
});
