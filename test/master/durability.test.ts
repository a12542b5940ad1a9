// kill -9 of a real master process under write load: every write the API acknowledged is
// there after restart, and resource versions never go backwards.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, Running } from '../cli/helpers.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bramble-kill9-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
beforeAll(() => ensureBuilt());

interface Master { proc: Running; url: string; token: string }

async function startMaster(): Promise<Master> {
  const proc = new Running(['master', '--data-dir', dataDir, '--api-port', '0', '--mqtt-port', '0', '--proxy-mode', 'off'], { BRAMBLE_LOG_LEVEL: 'warn' });
  const m = await proc.waitFor(/API server: (http:\/\/\S+)/);
  await proc.waitFor(/Ready/);
  const kc = parse(readFileSync(path.join(dataDir, 'kubeconfig.yaml'), 'utf8')) as { users: { user: { token: string } }[] };
  return { proc, url: m[1]!, token: kc.users[0]!.user.token };
}

async function call(m: Master, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(m.url + p, {
    method,
    headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

/** name → the highest resourceVersion and the data value the API acknowledged for it. */
type Acks = Map<string, { rv: number; value: string }>;

/** Concurrent writers creating and updating ConfigMaps until the process dies. */
function load(m: Master, cycle: number, acks: Acks, writers: number): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; !stopped; i++) {
      const name = `c${cycle}-w${w}-${Math.floor(i / 2)}`;
      try {
        if (i % 2 === 0) {
          const value = `v${i}`;
          const r = await call(m, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: value } });
          if (r.status === 201) acks.set(name, { rv: Number(r.body.metadata.resourceVersion), value });
        } else {
          const prev = acks.get(name);
          if (!prev) continue;
          const value = `v${i}`;
          const r = await call(m, 'PATCH', `/api/v1/namespaces/default/configmaps/${name}`, { data: { v: value } }).catch(() => undefined);
          if (r?.status === 200) acks.set(name, { rv: Number(r.body.metadata.resourceVersion), value });
        }
      } catch {
        return; // the master is gone
      }
    }
  };
  const done = Promise.all(Array.from({ length: writers }, (_, w) => writer(w))).then(() => undefined);
  return { stop: () => { stopped = true; }, done };
}

describe('master durability under kill -9', () => {
  it('keeps every acknowledged write across repeated kills, with revisions never going back', async () => {
    const acks: Acks = new Map();
    let highest = 0;
    for (let cycle = 0; cycle < 3; cycle++) {
      const m = await startMaster();
      // Everything acknowledged before is still here, at a revision no lower than acknowledged.
      const list = await call(m, 'GET', '/api/v1/namespaces/default/configmaps');
      expect(list.status).toBe(200);
      expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(highest);
      const stored = new Map<string, any>(list.body.items.map((o: any) => [o.metadata.name, o]));
      for (const [name, ack] of acks) {
        const o = stored.get(name);
        expect(o, `acknowledged write of ${name} lost`).toBeDefined();
        expect(Number(o.metadata.resourceVersion)).toBeGreaterThanOrEqual(ack.rv);
        // The stored value is the acknowledged one or a later write that was in flight at the kill.
        expect(Number(o.data.v.slice(1))).toBeGreaterThanOrEqual(Number(ack.value.slice(1)));
      }
      const probe = await call(m, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `probe-${cycle}` } });
      expect(probe.status).toBe(201);
      expect(Number(probe.body.metadata.resourceVersion)).toBeGreaterThan(highest);

      const before = acks.size;
      const writes = load(m, cycle, acks, 32);
      while (acks.size < before + 600) await new Promise((r) => setTimeout(r, 20));
      m.proc.child.kill('SIGKILL');
      await m.proc.stop();
      writes.stop();
      await writes.done;
      highest = Math.max(highest, ...[...acks.values()].map((a) => a.rv));
    }
    const last = await startMaster();
    const list = await call(last, 'GET', '/api/v1/namespaces/default/configmaps');
    const names = new Set(list.body.items.map((o: any) => o.metadata.name));
    for (const name of acks.keys()) expect(names.has(name), `acknowledged write of ${name} lost`).toBe(true);
    expect(acks.size).toBeGreaterThanOrEqual(1800);
    await last.proc.stop('SIGTERM');
  }, 120_000);
});
