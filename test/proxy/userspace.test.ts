// The userspace proxy over real sockets: balancing, failover, affinity, listeners following sync.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { proxyHarness, ask, connect, entry, firstLine, freePort, namedServer, outcome, until, type NamedServer } from './userspace-helpers.js';

const node = '127.0.0.9';
const { cleanups, proxy } = proxyHarness(node);

async function servers(names: string[], ip = '127.0.0.2'): Promise<NamedServer[]> {
  const out = await Promise.all(names.map((n) => namedServer(ip, n)));
  for (const s of out) cleanups.push(() => s.close());
  return out;
}

const eps = (ss: { ip: string; port: number }[]): { ip: string; port: number }[] => ss.map((s) => ({ ip: s.ip, port: s.port }));

describe('userspace proxy: balancing', () => {
  it('spreads connections round-robin over the ready endpoints', async () => {
    const ss = await servers(['a', 'b', 'c']);
    const p = await proxy();
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/web:http', { nodePort, endpoints: eps(ss) })] });
    const seen: string[] = [];
    for (let i = 0; i < 9; i++) seen.push(await ask(nodePort, node));
    expect(seen.filter((s) => s === 'a')).toHaveLength(3);
    expect(seen.filter((s) => s === 'b')).toHaveLength(3);
    expect(seen.filter((s) => s === 'c')).toHaveLength(3);
    expect(p.counters()).toEqual([expect.objectContaining({ key: 'default/web:http', connections: 9, failed: 0 })]);
  });

  it('moves on to the next endpoint when one refuses, so clients see no error', async () => {
    const [live] = await servers(['live']);
    const dead = { ip: '127.0.0.3', port: await freePort('127.0.0.3') };
    const p = await proxy();
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/web:', { nodePort, endpoints: [dead, eps([live!])[0]!] })] });
    for (let i = 0; i < 4; i++) expect(await ask(nodePort, node)).toBe('live');
    expect(p.counters()[0]).toMatchObject({ connections: 4, failed: 0 });
  });

  it('moves on when a connect times out', async () => {
    const [live] = await servers(['live']);
    const blackhole = { ip: '127.0.0.4', port: 9 };
    const p = await proxy({
      connectTimeoutMs: 100,
      // A socket that never connects stands in for a host that drops SYNs.
      dial: (ep) => (ep.ip === blackhole.ip ? new net.Socket() : net.connect({ host: ep.ip, port: ep.port })),
    });
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/web:', { nodePort, endpoints: [blackhole, eps([live!])[0]!] })] });
    expect(await ask(nodePort, node)).toBe('live');
    expect(await ask(nodePort, node)).toBe('live');
  });

  it('closes the client connection at once when there is no endpoint (or none answers)', async () => {
    const p = await proxy();
    const [empty, refused] = [await freePort(node), await freePort(node)];
    const dead = { ip: '127.0.0.3', port: await freePort('127.0.0.3') };
    await p.sync({ ports: [entry('default/none:', { nodePort: empty }), entry('default/dead:', { nodePort: refused, endpoints: [dead] })] });
    expect(['ECONNRESET', 'closed']).toContain(await outcome(empty, node));
    expect(['ECONNRESET', 'closed']).toContain(await outcome(refused, node));
    const c = Object.fromEntries(p.counters().map((x) => [x.key, x]));
    expect(c['default/none:']).toMatchObject({ connections: 1, failed: 1 });
    expect(c['default/dead:']).toMatchObject({ connections: 1, failed: 1 });
  });
});

describe('userspace proxy: ClientIP affinity', () => {
  it('keeps a client on its endpoint until it has been idle for the timeout', async () => {
    const [a, b] = await servers(['a', 'b']);
    let now = 0;
    const p = await proxy({ now: () => now });
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/web:', { nodePort, endpoints: eps([a!, b!]), affinitySeconds: 10 })] });
    const [c1, c2, c3] = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];
    expect(await ask(nodePort, node, c1)).toBe('a');
    expect(await ask(nodePort, node, c1)).toBe('a'); // sticky: round-robin does not move
    expect(await ask(nodePort, node, c2)).toBe('b');
    now += 9_000; // idle 9 s < 10 s
    expect(await ask(nodePort, node, c1)).toBe('a');
    expect(await ask(nodePort, node, c2)).toBe('b');
    now += 11_000; // both idle past the timeout
    expect(await ask(nodePort, node, c3)).toBe('a'); // takes round-robin's next slot...
    expect(await ask(nodePort, node, c1)).toBe('b'); // ...so c1, no longer sticky, gets the other one
    expect(await ask(nodePort, node, c1)).toBe('b');
  });

  it('picks another endpoint when the sticky one goes away or refuses', async () => {
    const [a, b] = await servers(['a', 'b']);
    const p = await proxy();
    const nodePort = await freePort(node);
    const both = entry('default/web:', { nodePort, endpoints: eps([a!, b!]), affinitySeconds: 3600 });
    await p.sync({ ports: [both] });
    const client = '127.0.0.24';
    expect(await ask(nodePort, node, client)).toBe('a');
    await p.sync({ ports: [{ ...both, endpoints: eps([b!]) }] });
    expect(await ask(nodePort, node, client)).toBe('b');
    await p.sync({ ports: [both] });
    expect(await ask(nodePort, node, client)).toBe('b'); // now sticky to b
    await b!.close(); // still listed, but refuses
    expect(await ask(nodePort, node, client)).toBe('a');
    expect(await ask(nodePort, node, client)).toBe('a');
  });
});

describe('userspace proxy: listeners follow sync', () => {
  it('opens and closes listeners; a live connection of an unchanged service survives', async () => {
    const [a, b] = await servers(['a', 'b']);
    const p = await proxy();
    const [p1, p2] = [await freePort(node), await freePort(node)];
    const web = entry('default/web:', { nodePort: p1, endpoints: eps([a!]) });
    const api = entry('default/api:', { nodePort: p2, endpoints: eps([b!]) });
    await p.sync({ ports: [api, web] });
    expect(p.listening()).toEqual([`TCP ${node}:${p1}`, `TCP ${node}:${p2}`].sort());
    const live = await connect(p1, node);
    expect(await firstLine(live)).toBe('a');

    // web's endpoints change and api goes away: web's listener and connection are untouched.
    await p.sync({ ports: [{ ...web, endpoints: eps([a!, b!]) }] });
    expect(p.listening()).toEqual([`TCP ${node}:${p1}`]);
    expect(['ECONNREFUSED']).toContain(await outcome(p2, node));
    live.write('still here\n');
    expect(await firstLine(live)).toBe('still here');
    live.destroy();
  });

  it('is idempotent: the same state twice changes nothing', async () => {
    const [a] = await servers(['a']);
    const p = await proxy();
    const nodePort = await freePort(node);
    const state = { ports: [entry('default/web:', { nodePort, endpoints: eps([a!]) })] };
    await p.sync(state);
    const live = await connect(nodePort, node);
    expect(await firstLine(live)).toBe('a');
    const before = p.listening();
    await p.sync(structuredClone(state));
    await p.sync(structuredClone(state));
    expect(p.listening()).toEqual(before);
    expect(p.counters()[0]).toMatchObject({ connections: 1 });
    live.write('ping\n');
    expect(await firstLine(live)).toBe('ping');
    live.destroy();
  });

  it('reports a port it cannot listen on, serves the others, and retries on the next sync', async () => {
    const [a] = await servers(['a']);
    const busy = net.createServer();
    const taken = await freePort(node);
    await new Promise<void>((r) => busy.listen(taken, node, () => r()));
    const p = await proxy();
    const ok = await freePort(node);
    const state = { ports: [entry('default/blocked:', { nodePort: taken, endpoints: eps([a!]) }), entry('default/fine:', { nodePort: ok, endpoints: eps([a!]) })] };
    await p.sync(state);
    expect(p.listenFailures()).toEqual([{ key: 'default/blocked:', id: `TCP ${node}:${taken}`, error: 'EADDRINUSE' }]);
    expect(await ask(ok, node)).toBe('a');
    await new Promise<void>((r) => busy.close(() => r()));
    await p.sync(state);
    expect(p.listenFailures()).toEqual([]);
    expect(await ask(taken, node)).toBe('a');
  });

  it('reports a listener two service ports both ask for, and serves it for the first', async () => {
    const [a, b] = await servers(['a', 'b']);
    const p = await proxy();
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/one:', { nodePort, endpoints: eps([a!]) }), entry('default/two:', { nodePort, endpoints: eps([b!]) })] });
    expect(p.listenFailures()).toEqual([{ key: 'default/two:', id: `TCP ${node}:${nodePort}`, error: 'already served for default/one:' }]);
    expect(await ask(nodePort, node)).toBe('a');
  });

  it('serves proxyPorts on the service address and local externalIPs on the service port', async () => {
    const [a] = await servers(['a']);
    const svcAddr = '127.0.0.31';
    const ext = '127.0.0.32';
    const p = await proxy({ serviceAddress: svcAddr });
    const [proxyPort, port] = [await freePort(svcAddr), await freePort(ext)];
    await p.sync({ ports: [entry('default/web:', { port, proxyPort, externalIPs: [ext, '192.0.2.77'], endpoints: eps([a!]) })] });
    expect(p.listening()).toEqual([`TCP ${svcAddr}:${proxyPort}`, `TCP ${ext}:${port}`].sort());
    expect(await ask(proxyPort, svcAddr)).toBe('a');
    expect(await ask(port, ext)).toBe('a');
  });

  it('passes a half-close through: the client ends, the endpoint still answers', async () => {
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => { got += d.toString(); });
      s.on('end', () => s.end(`got ${got}`));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise((r) => srv.close(() => r())));
    const p = await proxy();
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/hc:', { nodePort, endpoints: [{ ip: '127.0.0.2', port: (srv.address() as net.AddressInfo).port }] })] });
    const c = net.connect({ port: nodePort, host: node, allowHalfOpen: true });
    let reply = '';
    c.on('data', (d) => { reply += d.toString(); });
    const ended = new Promise<void>((r) => c.on('end', () => r()));
    c.end('hello');
    await ended;
    expect(reply).toBe('got hello');
    c.destroy();
    await until(() => p.openConnections().tcpSockets === 0);
  });
});
