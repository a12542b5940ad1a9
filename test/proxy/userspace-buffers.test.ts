// The userspace proxy's per-socket read buffers (onread): the sizing rule, and the bytes that
// cross the proxy when writes go asynchronous (a slow reader pins buffers) — a reused buffer
// written into while a pending write still points at it would corrupt the stream.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReadBuffers } from '../../src/proxy/userspace/read-buffers.js';
import { connect, entry, freePort, proxyHarness, until } from './userspace-helpers.js';

const node = '127.0.0.11';
const { cleanups, proxy } = proxyHarness(node);

describe('ReadBuffers', () => {
  const o = { min: 1024, max: 8192, budget: 8192 };

  it('keeps the buffer while reads neither fill it nor shrink under a quarter of it', () => {
    const rb = new ReadBuffers(o);
    const b = rb.first();
    expect(b.length).toBe(1024);
    expect(rb.next(b, 600, false)).toBe(b);
    expect(rb.next(b, 1, false)).toBe(b); // already at min
  });

  it('doubles on a full read up to max, halves on a small one down to min, and counts what it holds', () => {
    const rb = new ReadBuffers(o);
    let b = rb.first();
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) { b = rb.next(b, b.length, false); sizes.push(b.length); }
    expect(sizes).toEqual([2048, 4096, 8192, 8192, 8192]);
    expect(rb.held).toBe(8192 - 1024);
    b = rb.next(b, 100, false);
    expect(b.length).toBe(4096);
    expect(rb.held).toBe(4096 - 1024);
    rb.release(b);
    expect(rb.held).toBe(0);
  });

  it('gives a new buffer of the same size when a pending write pins the current one', () => {
    const rb = new ReadBuffers(o);
    const b = rb.first();
    const c = rb.next(b, 600, true);
    expect(c).not.toBe(b);
    expect(c.length).toBe(b.length);
  });

  it('stops growing when the budget is spent', () => {
    const rb = new ReadBuffers({ min: 1024, max: 8192, budget: 3072 });
    let a = rb.first();
    a = rb.next(a, a.length, false);
    a = rb.next(a, a.length, false); // 4096: 3072 above min, the whole budget
    let b = rb.first();
    b = rb.next(b, b.length, false);
    expect([a.length, b.length]).toEqual([4096, 1024]);
    rb.release(a);
    b = rb.next(b, b.length, false);
    expect(b.length).toBe(2048);
  });

  it('rejects nonsense sizes', () => {
    expect(() => new ReadBuffers({ min: 0, max: 1, budget: 0 })).toThrow(/min/);
    expect(() => new ReadBuffers({ min: 10, max: 5, budget: 0 })).toThrow(/max/);
  });
});

/** An endpoint that echoes every byte back, with its reads paused now and then (so the proxy's writes to it go asynchronous). */
async function stutteringEcho(ip: string): Promise<{ port: number; close: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
    let n = 0;
    s.on('data', (d: Buffer) => {
      s.write(d);
      if (++n % 7 === 0) { s.pause(); setTimeout(() => s.resume(), 5); }
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => srv.listen(0, ip, () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => { for (const s of socks) s.destroy(); return new Promise((r) => srv.close(() => r())); },
  };
}

describe('userspace proxy: read buffers on real sockets', () => {
  // Growing: reads past the high-water mark pause the source until the write drains. Fixed
  // small buffers under a large mark: the source keeps reading while writes are pending, so
  // a buffer pinned by one of them must not be read into again.
  it.each([
    { name: 'growing buffers', highWaterMark: 16 * 1024, readBuffers: { min: 4096, max: 256 * 1024, budget: 4 * 1024 * 1024 }, grows: true },
    { name: 'small buffers, writes pending under the mark', highWaterMark: 256 * 1024, readBuffers: { min: 2048, max: 2048, budget: 0 }, grows: false },
  ])('$name: 24 MB each way byte for byte through slow readers, buffers back after', async ({ highWaterMark, readBuffers, grows }) => {
    const echo = await stutteringEcho('127.0.0.2');
    cleanups.push(echo.close);
    const p = await proxy({ highWaterMark, readBuffers });
    const nodePort = await freePort(node);
    await p.sync({ ports: [entry('default/echo:', { nodePort, endpoints: [{ ip: '127.0.0.2', port: echo.port }] })] });
    const data = randomBytes(24 * 1024 * 1024);
    const c = await connect(nodePort, node);
    const got = createHash('sha256');
    let received = 0;
    let grew = 0;
    let reads = 0;
    c.on('data', (d: Buffer) => {
      got.update(d);
      received += d.length;
      grew = Math.max(grew, p.readBufferBytes());
      // The client stutters too, so the proxy's writes towards it pin buffers as well.
      if (++reads % 5 === 0) { c.pause(); setTimeout(() => c.resume(), 3); }
    });
    const ended = new Promise<void>((r) => c.once('end', () => r()));
    // Uneven writes, so reads land at every offset of the buffers.
    for (let off = 0; off < data.length;) {
      const len = Math.min(data.length - off, 1 + ((off * 7919) % 200_000));
      if (!c.write(data.subarray(off, off + len))) await new Promise((r) => c.once('drain', r));
      off += len;
    }
    c.end();
    await ended;
    expect(received).toBe(data.length);
    expect(got.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    if (grows) expect(grew).toBeGreaterThan(0); // the bulk flow's buffers grew past min
    expect(p.counters()[0]).toMatchObject({ connections: 1, bytesIn: data.length, bytesOut: data.length });
    c.destroy();
    await until(() => p.openConnections().tcpSockets === 0);
    expect(p.readBufferBytes()).toBe(0); // every socket's share went back when it closed
  });
});
