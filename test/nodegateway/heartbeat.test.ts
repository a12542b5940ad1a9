// Heartbeats at scale: a report that changes only times and live usage (within the deadband)
// keeps presence but is written to the API only at the refresh; usage past the deadband and
// any other change are written at once; after presence is lost the next report is written.
// The gateway runs on a fake clock that moves only when a test says: how late a timer fires
// under load cannot change what is due or who is silent. Waits are for positive signals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceByKind } from '../../src/api/registry.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { statusSignature, usageMoved } from '../../src/nodegateway/node-status.js';
import { startEnv, statusReport, until, type Env, type FakeNode } from './env.js';

let env: Env;
const refreshMs = 1500;
let clock = Date.parse('2026-01-01T00:00:00Z');

const since = '2026-01-01T00:00:00Z';
const at = (s: number): string => `2026-01-01T00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;
const getNode = async (name: string): Promise<any> => (await env.h.call('GET', `/api/v1/nodes/${name}`)).body;
const ready = (n: any): any => n.status?.conditions?.find((c: any) => c.type === 'Ready');
const logsOf = (node: string, msg: string): unknown[] => env.logs.filter((l) => l.node === node && l.msg === msg);

/** Moves the gateway's clock, then has it look for nodes silent past the grace at that time. */
function advance(ms: number): void {
  clock += ms;
  env.gateway.sweep();
}

/**
 * Resolves once the gateway has taken in what `n` sent before, and handled it unless a write
 * of the node's is still under way: a malformed message behind it, which the gateway logs on
 * arrival and otherwise ignores (it counts for neither presence nor a write).
 */
async function takenIn(n: FakeNode): Promise<void> {
  const dropped = (): number => logsOf(n.name, 'dropped malformed message from node').length;
  const before = dropped();
  await n.send('status', 'not a report');
  await until(`${n.name}'s messages taken in`, () => dropped() > before);
}

/** Every heartbeat time and usage written to a Node from now on, through a watch. */
function writesOf(name: string): { times: string[]; cpu: unknown[]; stop: () => void } {
  const api = new LocalApiClient(env.h.server.resources, env.h.store);
  const ac = new AbortController();
  const times: string[] = [];
  const cpu: unknown[] = [];
  void (async () => {
    try {
      for await (const e of api.watch(resourceByKind('v1', 'Node')!, undefined, { fieldSelector: `metadata.name=${name}`, signal: ac.signal })) {
        if (e.type !== 'ADDED' && e.type !== 'MODIFIED') continue;
        times.push(ready(e.object)?.lastHeartbeatTime);
        cpu.push((e.object.status as { usage?: { cpuPercent?: number } } | undefined)?.usage?.cpuPercent);
      }
    } catch { /* aborted */ }
  })();
  return { times, cpu, stop: () => ac.abort() };
}

beforeAll(async () => {
  env = await startEnv({ presenceGraceMs: 1000, statusRefreshMs: refreshMs, now: () => clock });
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

  it('keeps presence with skipped heartbeats, and writes the one due at the refresh', async () => {
    const n = await env.node('hb-2');
    const w = writesOf('hb-2');
    const beat = (s: number) => n.send('status', statusReport({}, 'True', { since, at: at(s), usage: { cpuPercent: 10 } }));
    await beat(1);
    await until('registered', async () => ready(await getNode('hb-2'))?.status === 'True');
    // A beat every 250 ms of the gateway's clock, for longer than both the presence grace (1 s)
    // and the refresh (1.5 s); each is in before the clock moves on and the gateway sweeps.
    for (let s = 2; s <= 10; s++) {
      advance(250);
      await beat(s);
      await takenIn(n);
    }
    env.gateway.sweep();
    expect(logsOf('hb-2', 'node presence lost')).toEqual([]);
    // A change is written at once, after every beat before it (a node's reports are handled in order).
    await n.send('status', statusReport({}, 'True', { since: at(11), at: at(11), usage: { cpuPercent: 10 } }));
    await until('watch caught up', () => w.times.includes(at(11)));
    w.stop();
    // Registered at 0, refreshed by the beat at 1.5 s (the 7th), nothing else until the change.
    expect(w.times.filter((t) => t !== undefined)).toEqual([at(1), at(7), at(11)]);
    expect(ready(await getNode('hb-2')).status).toBe('True');
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
    // With `cpu` as the heartbeats have it: a reading that appears counts as moved.
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(1), usage: { cpuPercent: 10, cpu: '400m' } }), sig: 's1' });
    await until('registered', async () => ready(await getNode('chb-1'))?.status === 'True');
    // Within the deadband: presence only (1.5 s of the gateway's clock > the 1 s grace), and
    // the refresh at 1.5 s. Past it: usage and heartbeat times written.
    for (let i = 0; i < 6; i++) {
      advance(250);
      await n.send('status', hb('s1', 11));
      await takenIn(n);
    }
    env.gateway.sweep();
    expect(logsOf('chb-1', 'node presence lost')).toEqual([]);
    expect(ready(await getNode('chb-1')).status).toBe('True');
    await n.send('status', hb('s1', 60));
    const x = await until('usage written', async () => { const y = await getNode('chb-1'); return y.status.usage?.cpuPercent === 60 ? y : undefined; });
    expect(x.status.usage).toEqual({ cpuPercent: 60, cpu: '2400m', timestamp: at(9) });
    expect(ready(x)).toMatchObject({ status: 'True', lastTransitionTime: since });
    expect(ready(x).lastHeartbeatTime).not.toBe(at(1));
    expect(x.status.capacity).toEqual({ cpu: '4', memory: '4Gi', pods: '20' }); // the rest of the status kept
    await until('watch caught up', () => w.cpu.includes(60));
    w.stop();
    // Registered (created, then its status), one refresh (the 6th beat, at 1.5 s), the moved usage: not one per beat.
    expect(w.cpu).toEqual([undefined, 10, 11, 60]);
  });

  it('a heartbeat for a status the gateway has not seen gets the node a sync (which it answers with a full report), at most every 10 s', async () => {
    const n = await env.node('chb-2');
    const w = writesOf('chb-2');
    await n.send('status', hb('never-sent', 10));
    await takenIn(n);
    advance(9_999); // just short of asking again
    await n.send('status', hb('never-sent', 10));
    await until('a sync', () => n.desired('sync').length > 0);
    // The full report is handled after both heartbeats: once it is written, both were decided on.
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(1) }), sig: 'never-sent' });
    await until('report written', () => w.times.includes(at(1)));
    expect(logsOf('chb-2', 'heartbeat for a status not seen: asking for a full report')).toHaveLength(1);
    expect(w.times.filter((t) => t !== undefined)).toEqual([at(1)]); // nothing written from a heartbeat alone
    w.stop();
  });

  it('after presence was lost, heartbeats get the node a sync instead of silently keeping it Unknown', async () => {
    const n = await env.node('chb-3');
    await n.send('status', { ...statusReport({}, 'True', { since, at: at(1) }), sig: 's3' });
    await until('registered', async () => ready(await getNode('chb-3'))?.status === 'True');
    advance(1001); // past the 1 s grace
    await until('Unknown by the grace', async () => ready(await getNode('chb-3'))?.status === 'Unknown');
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
