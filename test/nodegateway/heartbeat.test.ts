// Heartbeats at scale: a report that changes only times and live usage (within the deadband)
// keeps presence but is written to the API only at the refresh; usage past the deadband and
// any other change are written at once; after presence is lost the next report is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceByKind } from '../../src/api/registry.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { statusSignature, usageMoved } from '../../src/nodegateway/node-status.js';
import { startEnv, statusReport, until, type Env } from './env.js';

let env: Env;
const refreshMs = 1500;

const since = '2026-01-01T00:00:00Z';
const at = (s: number): string => `2026-01-01T00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;
const getNode = async (name: string): Promise<any> => (await env.h.call('GET', `/api/v1/nodes/${name}`)).body;
const ready = (n: any): any => n.status?.conditions?.find((c: any) => c.type === 'Ready');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every heartbeat time written to a Node from now on, through a watch. */
function writesOf(name: string): { times: string[]; stop: () => void } {
  const api = new LocalApiClient(env.h.server.resources, env.h.store);
  const ac = new AbortController();
  const times: string[] = [];
  void (async () => {
    try {
      for await (const e of api.watch(resourceByKind('v1', 'Node')!, undefined, { fieldSelector: `metadata.name=${name}`, signal: ac.signal })) {
        if (e.type === 'ADDED' || e.type === 'MODIFIED') times.push(ready(e.object)?.lastHeartbeatTime);
      }
    } catch { /* aborted */ }
  })();
  return { times, stop: () => ac.abort() };
}

beforeAll(async () => {
  env = await startEnv({ presenceGraceMs: 1000, statusRefreshMs: refreshMs });
});
afterAll(async () => { await env?.stop(); });

describe('status heartbeats', () => {
  it('skips writes that would change only times and usage within the deadband; writes usage past it at once', async () => {
    const n = await env.node('hb-1');
    const w = writesOf('hb-1');
    await n.send('status', statusReport({ zone: 'a' }, 'True', { since, at: at(1), usage: { cpuPercent: 10, memoryPercent: 20, cpu: '400m', memory: '800Mi' } }));
    await until('registered', async () => ready(await getNode('hb-1'))?.lastHeartbeatTime === at(1));
    // Within the deadband: not written (messages of a node are handled in order, so the next
    // write, past the deadband, shows the one before it was skipped).
    await n.send('status', statusReport({ zone: 'a' }, 'True', { since, at: at(2), usage: { cpuPercent: 12, memoryPercent: 20.5, cpu: '480m', memory: '820Mi' } }));
    await n.send('status', statusReport({ zone: 'a' }, 'True', { since, at: at(3), usage: { cpuPercent: 40, memoryPercent: 20.5, cpu: '1600m', memory: '820Mi' } }));
    const moved = await until('usage past the deadband written', async () => { const x = await getNode('hb-1'); return x.status.usage?.cpuPercent === 40 ? x : undefined; });
    expect(ready(moved).lastHeartbeatTime).toBe(at(3));
    expect(moved.status.usage).toMatchObject({ cpu: '1600m', timestamp: at(3) });
    // A change besides times and usage is written at once.
    await n.send('status', statusReport({ zone: 'a' }, 'False', { since: at(4), at: at(4), usage: { cpuPercent: 40, memoryPercent: 20.5 } }));
    await until('Ready=False written', async () => ready(await getNode('hb-1'))?.status === 'False');
    await until('watch caught up', () => w.times.includes(at(4)));
    w.stop();
    expect(w.times.filter((t) => t !== undefined)).toEqual([at(1), at(3), at(4)]);
  });

  it('keeps presence with skipped heartbeats, and writes the last one at the refresh', async () => {
    const n = await env.node('hb-2');
    const beat = (s: number) => n.send('status', statusReport({}, 'True', { since, at: at(s), usage: { cpuPercent: 10 } }));
    await beat(1);
    await until('registered', async () => ready(await getNode('hb-2'))?.status === 'True');
    // Beats every 250 ms for longer than both the presence grace (1 s) and the refresh (1.5 s).
    let s = 2;
    for (const end = Date.now() + refreshMs + 700; Date.now() < end; s++) {
      await beat(s);
      await sleep(250);
    }
    const x = await getNode('hb-2');
    expect(ready(x).status).toBe('True');
    expect(ready(x).lastHeartbeatTime).not.toBe(at(1)); // refreshed
    expect(ready(x).lastHeartbeatTime).not.toBe(at(s - 1)); // ...but not every beat
  });

  it('writes the next report in full after presence was lost, even one identical to the last written', async () => {
    const n = await env.node('hb-3');
    const report = statusReport({}, 'True', { since, at: at(1), usage: { cpuPercent: 10 } });
    await n.send('status', report);
    await until('registered', async () => ready(await getNode('hb-3'))?.status === 'True');
    (n.client as any).stream.destroy();
    await until('Unknown', async () => ready(await getNode('hb-3'))?.status === 'Unknown');
    const back = await env.node('hb-3');
    await back.send('status', report);
    await until('Ready again', async () => ready(await getNode('hb-3'))?.status === 'True');
  });

  it('a hostile report is still refused in full, whatever the last one written was', async () => {
    const n = await env.node('hb-4');
    await n.send('status', statusReport({}, 'True', { since, at: at(1), usage: { cpuPercent: 10 } }));
    await until('registered', async () => ready(await getNode('hb-4'))?.status === 'True');
    const bad = statusReport({}, 'True', { since, at: at(2), usage: { cpuPercent: 1e9 } });
    await n.send('status', bad);
    await until('refused with a log line', () => env.logs.find((l) => l.node === 'hb-4' && /cpuPercent/.test(l.reason ?? '')));
    expect((await getNode('hb-4')).status.usage.cpuPercent).toBe(10);
  });
});

describe('compact heartbeats', () => {
  const hb = (sig: string, cpuPercent: number, extra: Record<string, unknown> = {}) => ({ v: 1, type: 'heartbeat', sig, usage: { cpuPercent, cpu: `${cpuPercent * 40}m`, timestamp: at(9) }, ...extra });

  it('the sync lists the heartbeat feature', async () => {
    const n = await env.node('chb-0');
    await n.hello();
    const sync = await until('sync', () => n.desired('sync')[0]);
    expect(sync.features).toEqual(['heartbeat']);
  });

  it('keep presence, and write usage past the deadband onto the full report they refer to', async () => {
    const n = await env.node('chb-1');
    const w = writesOf('chb-1');
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(1), usage: { cpuPercent: 10 } }), sig: 's1' });
    await until('registered', async () => ready(await getNode('chb-1'))?.status === 'True');
    // Within the deadband: presence only. Past it: usage and heartbeat times written.
    for (let i = 0; i < 6; i++) {
      await n.send('status', hb('s1', 11));
      await sleep(250);
    }
    expect(ready(await getNode('chb-1')).status).toBe('True'); // 1.5 s > the 1 s presence grace
    await n.send('status', hb('s1', 60));
    const x = await until('usage written', async () => { const y = await getNode('chb-1'); return y.status.usage?.cpuPercent === 60 ? y : undefined; });
    expect(x.status.usage).toEqual({ cpuPercent: 60, cpu: '2400m', timestamp: at(9) });
    expect(ready(x)).toMatchObject({ status: 'True', lastTransitionTime: since });
    expect(ready(x).lastHeartbeatTime).not.toBe(at(1));
    expect(x.status.capacity).toEqual({ cpu: '4', memory: '4Gi', pods: '20' }); // the rest of the status kept
    await until('watch caught up', () => w.times.length >= 2);
    w.stop();
    // The registration, the moved usage, and at most one refresh (1.5 s here) — not one per beat.
    expect(w.times.filter((t) => t !== undefined).length).toBeLessThanOrEqual(3);
  });

  it('a heartbeat for a status the gateway has not seen gets the node a sync (which it answers with a full report), at most every 10 s', async () => {
    const n = await env.node('chb-2');
    await n.send('status', hb('never-sent', 10));
    await n.send('status', hb('never-sent', 10));
    await until('a sync', () => n.desired('sync').length > 0);
    await sleep(200);
    expect(n.desired('sync')).toHaveLength(1);
    expect((await env.h.call('GET', '/api/v1/nodes/chb-2')).status).toBe(404); // nothing written from a heartbeat alone
  });

  it('after presence was lost, heartbeats get the node a sync instead of silently keeping it Unknown', async () => {
    const n = await env.node('chb-3');
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(1) }), sig: 's3' });
    await until('registered', async () => ready(await getNode('chb-3'))?.status === 'True');
    await until('Unknown by the grace', async () => ready(await getNode('chb-3'))?.status === 'Unknown', 5000);
    await n.send('status', hb('s3', 10));
    await until('a sync', () => n.desired('sync').length > 0);
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(2) }), sig: 's3' });
    await until('Ready again', async () => ready(await getNode('chb-3'))?.status === 'True');
  });

  it('a heartbeat whose usage the API refuses costs a log line and changes nothing', async () => {
    const n = await env.node('chb-4');
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(1), usage: { cpuPercent: 10 } }), sig: 's4' });
    await until('registered', async () => ready(await getNode('chb-4'))?.status === 'True');
    await n.send('status', { v: 1, type: 'heartbeat', sig: 's4', usage: { cpuPercent: 90, cpu: 'lots of it' } });
    await until('refused with a log line', () => env.logs.find((l) => l.node === 'chb-4' && l.msg === 'node report not applied'));
    expect((await getNode('chb-4')).status.usage.cpuPercent).toBe(10);
    await n.send('status', { v: 1, type: 'heartbeat', sig: 's4', extra: 1 });
    await until('malformed one logged', () => env.logs.find((l) => l.node === 'chb-4' && l.msg === 'dropped malformed message from node'));
  });
});

describe('signature and deadband', () => {
  const r = (o: Parameters<typeof statusReport>[2], labels = {}): any => statusReport(labels, 'True', o);
  it('the signature ignores heartbeat times and usage, and sees everything else', () => {
    const a = statusSignature(r({ since, at: at(1), usage: { cpuPercent: 1 } }));
    expect(statusSignature(r({ since, at: at(2), usage: { cpuPercent: 50 } }))).toBe(a);
    expect(statusSignature(r({ since: at(2), at: at(2) }))).not.toBe(a);
    expect(statusSignature(r({ since, at: at(1) }, { zone: 'b' }))).not.toBe(a);
  });

  it('usage moves when a reading crosses the deadband, appears, vanishes or throttling flips', () => {
    expect(usageMoved({ cpuPercent: 10, memoryPercent: 50 }, { cpuPercent: 14.9, memoryPercent: 51.9 })).toBe(false);
    expect(usageMoved({ cpuPercent: 10 }, { cpuPercent: 15 })).toBe(true);
    expect(usageMoved({ memoryPercent: 50 }, { memoryPercent: 48 })).toBe(true);
    expect(usageMoved({ temperatureCelsius: 50 }, { temperatureCelsius: 52.5 })).toBe(true);
    expect(usageMoved({ cpuPercent: 10 }, { cpuPercent: 10, throttled: true })).toBe(true);
    expect(usageMoved({ cpuPercent: 10 }, {})).toBe(true);
    expect(usageMoved(undefined, { cpuPercent: 10 })).toBe(true);
    expect(usageMoved(undefined, undefined)).toBe(false);
  });
});
