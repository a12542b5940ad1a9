// Watch fan-out: many watch streams on one resource, then spaced writes; how long until every
// watcher has each event.
//
// The server runs in its own process (LevelDB store, as in bench/api.ts). This process opens
// the watch streams over one keep-alive agent (one socket per stream) and makes the writes
// over another, then times, for each write, the arrival of its event on every stream.
import http from 'node:http';
import type { BenchRow } from './types.js';
import { configMapBody, configMapsPath, endpoint, request, startServerProcess } from './api.js';
import { machineBusySeconds, nowMs, row, sleep, summarize } from './stats.js';

const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
const writes = Number(process.env.BENCH_WATCH_WRITES ?? 50);
/** Pause between one write being seen everywhere (or timing out) and the next write. */
const spacingMs = 20;
/** Give up on a write's event after this long. */
const eventTimeoutMs = 5000;
const openBatch = 100;

interface Stream {
  req: http.ClientRequest;
  ended: boolean;
  errors: number;
}

export async function benchWatch(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const server = await startServerProcess({ store: 'level' });
  const ep = endpoint(server.url, server.token);
  const writeAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const watchAgent = new http.Agent({ keepAlive: true, maxSockets: watchers + 10 });
  const streams: Stream[] = [];
  try {
    const list = await request(writeAgent, ep, 'GET', configMapsPath);
    if (list.status !== 200) throw new Error(`list failed: HTTP ${list.status} ${list.body.slice(0, 200)}`);
    const rv = (JSON.parse(list.body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '0';

    // arrival[i][w]: when stream w saw write i's event (ms, NaN = not yet).
    const arrival = Array.from({ length: writes }, () => new Float64Array(watchers).fill(Number.NaN));
    const seen = new Int32Array(writes);
    let waiter: { index: number; resolve: () => void } | undefined;
    const onEvent = (w: number, t: number, line: string): void => {
      const ev = JSON.parse(line) as { type: string; object?: { metadata?: { name?: string } } };
      if (ev.type === 'ERROR') { streams[w]!.errors++; return; }
      const name = ev.object?.metadata?.name ?? '';
      if (ev.type !== 'ADDED' || !name.startsWith('watch-')) return;
      const i = Number(name.slice(6));
      const a = arrival[i];
      if (a === undefined || !Number.isNaN(a[w]!)) return;
      a[w] = t;
      seen[i]!++;
      if (waiter?.index === i && seen[i] === watchers) waiter.resolve();
    };

    // Open the streams, openBatch at a time, each counted open when its headers arrive.
    const tOpen = nowMs();
    const open = (w: number): Promise<void> => new Promise((resolve, reject) => {
      const req = http.request({ agent: watchAgent, host: ep.host, port: ep.port, method: 'GET', path: `${configMapsPath}?watch=true&resourceVersion=${rv}`, headers: { authorization: `Bearer ${ep.token}` } }, (res) => {
        if (res.statusCode !== 200) { reject(new Error(`watch ${w}: HTTP ${res.statusCode}`)); res.resume(); return; }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const t = nowMs();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            onEvent(w, t, buf.slice(0, nl));
            buf = buf.slice(nl + 1);
          }
        });
        res.on('end', () => { s.ended = true; });
        res.on('error', () => { s.ended = true; });
        resolve();
      });
      const s: Stream = { req, ended: false, errors: 0 };
      streams[w] = s;
      req.on('error', (err) => { s.ended = true; reject(err); });
      req.end();
    });
    for (let b = 0; b < watchers; b += openBatch) {
      await Promise.all(Array.from({ length: Math.min(openBatch, watchers - b) }, (_, k) => open(b + k)));
    }
    const openSeconds = (nowMs() - tOpen) / 1000;
    const serverInfo = await server.stats();
    await sleep(200);

    // The writes, one at a time: time from just before the request to each arrival.
    const writeLatency: number[] = [];
    const starts: number[] = [];
    let timedOut = 0;
    const cpu0 = process.cpuUsage();
    const server0 = await server.stats();
    const busy0 = machineBusySeconds();
    const tWrites = nowMs();
    for (let i = 0; i < writes; i++) {
      const all = new Promise<void>((resolve) => { waiter = { index: i, resolve }; });
      const t0 = nowMs();
      starts[i] = t0;
      const r = await request(writeAgent, ep, 'POST', configMapsPath, configMapBody(`watch-${i}`));
      writeLatency.push(nowMs() - t0);
      if (r.status !== 201) throw new Error(`write ${i}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      let timer: NodeJS.Timeout | undefined;
      const done = seen[i] === watchers ? 'ok' : await Promise.race([all.then(() => 'ok'), new Promise<string>((resolve) => { timer = setTimeout(() => resolve('timeout'), eventTimeoutMs); })]);
      clearTimeout(timer);
      waiter = undefined;
      if (done !== 'ok') timedOut++;
      await sleep(spacingMs);
    }
    const wallWrites = (nowMs() - tWrites) / 1000;
    const busy = machineBusySeconds() - busy0;
    const server1 = await server.stats();
    const clientCpu = process.cpuUsage(cpu0);

    const latencies: number[] = [];
    const toAll: number[] = [];
    let missing = 0;
    for (let i = 0; i < writes; i++) {
      const a = arrival[i]!;
      let last = 0;
      for (let w = 0; w < watchers; w++) {
        const t = a[w]!;
        if (Number.isNaN(t)) { missing++; continue; }
        const d = t - starts[i]!;
        latencies.push(d);
        if (d > last) last = d;
      }
      if (seen[i] === watchers) toAll.push(last);
    }
    const fan = summarize(latencies);
    const all = summarize(toAll);
    const wl = summarize(writeLatency);
    const dropped = streams.filter((s) => s.ended || s.errors > 0).length;
    const serverCpu = ((server1.cpu.user + server1.cpu.system) - (server0.cpu.user + server0.cpu.system)) / 1e6;
    const clientSeconds = (clientCpu.user + clientCpu.system) / 1e6;
    const otherSeconds = Math.max(0, busy - serverCpu - clientSeconds);
    const context = `${watchers} streams × ${writes} writes, ${spacingMs} ms apart; write latency p50 ${wl.p50.toFixed(2)} ms; CPU over the writes: server ${serverCpu.toFixed(2)} s, client ${clientSeconds.toFixed(2)} s, other processes ${otherSeconds.toFixed(2)} s in ${wallWrites.toFixed(2)} s`;

    rows.push(row('watch streams open', serverInfo.watchers, 'streams', `>= ${watchers}`, `opened in ${openSeconds.toFixed(2)} s, ${openBatch} at a time; server RSS ${(serverInfo.memory.rss / 2 ** 20).toFixed(0)} MiB`));
    rows.push(row('watch fan-out p50', fan.p50, 'ms', undefined, context));
    rows.push(row('watch fan-out p99', fan.p99, 'ms'));
    rows.push(row('watch fan-out max', fan.max, 'ms'));
    rows.push(row(`watch deliver to all ${watchers} p50`, all.p50, 'ms', undefined, 'per write: from just before the POST to its event on the last stream; median over the writes'));
    rows.push(row(`watch deliver to all ${watchers} max`, all.max, 'ms'));
    rows.push(row('watch events missed', missing, 'events', '<= 0', `${timedOut} writes not seen by every stream within ${eventTimeoutMs} ms; ${dropped} streams ended or got an ERROR`));
    console.error(`  watch: ${watchers} streams, fan-out p50 ${fan.p50.toFixed(2)} ms, p99 ${fan.p99.toFixed(2)} ms, max ${fan.max.toFixed(2)} ms; all delivered p50 ${all.p50.toFixed(2)} ms, max ${all.max.toFixed(2)} ms; missed ${missing}`);
  } finally {
    for (const s of streams) s.req.destroy();
    watchAgent.destroy();
    writeAgent.destroy();
    await server.stop();
  }
  return rows;
}
