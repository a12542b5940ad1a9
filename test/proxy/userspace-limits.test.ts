// The userspace proxy's UDP flows and its limits: bounded memory with a slow peer, no leaked fds.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { UserspaceProxy } from '../../src/proxy/userspace/backend.js';
import { proxyHarness, ask, entry, fdCount, freePort, namedServer, outcome, udpClient, udpNamedServer, until } from './userspace-helpers.js';

const node = '127.0.0.10';
const { cleanups, proxy } = proxyHarness(node);

describe('userspace proxy: UDP', () => {
  it('echoes through the proxy, one flow per client, replies from the service address', async () => {
    const [a, b] = [await udpNamedServer('127.0.0.2', 'a'), await udpNamedServer('127.0.0.2', 'b')];
    cleanups.push(() => a.close(), () => b.close());
    const p = await proxy({ udpIdleMs: 200 });
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/dns:', { protocol: 'UDP', nodePort, endpoints: [a, b].map((s) => ({ ip: s.ip, port: s.port })) })] });
    const [c1, c2] = [await udpClient('127.0.0.41'), await udpClient('127.0.0.42')];
    cleanups.push(() => c1.close(), () => c2.close());
    expect(await c1.ask('one', nodePort, node)).toBe('a:one');
    expect(await c2.ask('two', nodePort, node)).toBe('b:two');
    expect(await c1.ask('three', nodePort, node)).toBe('a:three'); // same flow, same endpoint
    expect(p.openConnections().udpFlows).toBe(2);
    expect(p.counters()[0]).toMatchObject({ connections: 2, bytesIn: 11, bytesOut: 17, failed: 0 });
    await until(() => p.openConnections().udpFlows === 0); // idle timeout
  });

  it('drops datagrams when there is no endpoint and counts them as failed', async () => {
    const p = await proxy();
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/dns:', { protocol: 'UDP', nodePort })] });
    const c = await udpClient('127.0.0.43');
    cleanups.push(() => c.close());
    await expect(c.ask('x', nodePort, node, 300)).rejects.toThrow('no UDP reply');
    expect(p.counters()[0]).toMatchObject({ connections: 0, failed: 1 });
  });

  it('bounds the number of flows', async () => {
    const a = await udpNamedServer('127.0.0.2', 'a');
    cleanups.push(() => a.close());
    const p = await proxy({ maxUdpFlows: 3 });
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/dns:', { protocol: 'UDP', nodePort, endpoints: [{ ip: a.ip, port: a.port }] })] });
    for (let i = 0; i < 6; i++) {
      const c = await udpClient(`127.0.0.${50 + i}`);
      expect(await c.ask(`m${i}`, nodePort, node)).toBe(`a:m${i}`);
      await c.close();
    }
    expect(p.openConnections().udpFlows).toBe(3);
  });
});

describe('userspace proxy: limits', () => {
  it('holds a bounded amount of data when the client does not read', async () => {
    const total = 100 * 1024 * 1024;
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 7);
    // The endpoint writes 100 MB as fast as the proxy takes it.
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!s.write(chunk)) { s.once('drain', pump); return; }
        }
      };
      pump();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise((r) => srv.close(() => r())));
    const highWaterMark = 256 * 1024;
    const readBuffers = { min: 16 * 1024, max: 1024 * 1024, budget: 16 * 1024 * 1024 };
    const p = await proxy({ highWaterMark, readBuffers });
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/bulk:', { nodePort, endpoints: [{ ip: '127.0.0.2', port: (srv.address() as net.AddressInfo).port }] })] });
    const c = net.connect({ port: nodePort, host: node });
    c.pause(); // never reads: the kernel buffers fill, then the proxy must stop reading
    await new Promise<void>((r) => c.once('connect', () => r()));
    let maxBuffered = 0;
    let last = -1;
    let stable = 0;
    // Sample until the endpoint stops making progress (everything in between is full).
    while (stable < 20) {
      await new Promise((r) => setTimeout(r, 25));
      maxBuffered = Math.max(maxBuffered, p.bufferedBytes());
      stable = written === last ? stable + 1 : 0;
      last = written;
    }
    expect(written).toBeLessThan(total / 2); // the endpoint is held back, not drained into memory
    // Per direction about one high-water mark on each socket plus one read buffer.
    expect(maxBuffered).toBeLessThanOrEqual(4 * highWaterMark + readBuffers.max);
    c.destroy();
    await until(() => p.openConnections().tcpSockets === 0);
  });

  it('leaks no file descriptors over thousands of connections, refusals and listener cycles', async () => {
    const a = await namedServer('127.0.0.2', 'a');
    cleanups.push(() => a.close());
    const dead = { ip: '127.0.0.3', port: await freePort('127.0.0.3') };
    const udp = await udpNamedServer('127.0.0.2', 'u');
    cleanups.push(() => udp.close());
    const [web, refused, empty, dns] = [await freePort(node), await freePort(node), await freePort(node), await freePort(node)];
    const state = {
      ports: [
        entry('default/web:', { nodePort: web, endpoints: [dead, { ip: a.ip, port: a.port }] }),
        entry('default/refused:', { nodePort: refused, endpoints: [dead] }),
        entry('default/empty:', { nodePort: empty }),
        entry('default/dns:', { protocol: 'UDP', nodePort: dns, endpoints: [{ ip: udp.ip, port: udp.port }] }),
      ],
    };
    const before = fdCount();
    const p = new UserspaceProxy({ nodeAddresses: [node], logger: silentLogger(), udpIdleMs: 50 });
    await p.sync(state);
    for (let round = 0; round < 40; round++) {
      await Promise.all(Array.from({ length: 50 }, () => ask(web, node))); // 2000 in all, half of the dials refused first
    }
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 25 }, () => outcome(refused, node)));
      await Promise.all(Array.from({ length: 25 }, () => outcome(empty, node)));
    }
    const counts = Object.fromEntries(p.counters().map((x) => [x.key, x]));
    expect(counts['default/web:']).toMatchObject({ connections: 2000, failed: 0 });
    expect(counts['default/refused:']).toMatchObject({ connections: 250, failed: 250 });
    expect(counts['default/empty:']).toMatchObject({ connections: 250, failed: 250 });
    const c = await udpClient('127.0.0.44');
    for (let i = 0; i < 20; i++) expect(await c.ask(`m${i}`, dns, node)).toBe(`u:m${i}`);
    await c.close();
    for (let i = 0; i < 50; i++) {
      await p.sync({ ports: [] });
      await p.sync(state);
    }
    await until(() => p.openConnections().tcpSockets === 0 && p.openConnections().udpFlows === 0);
    await p.stop();
    expect(p.listening()).toEqual([]);
    await until(() => fdCount() <= before);
    expect(fdCount()).toBeLessThanOrEqual(before);
  });
});
