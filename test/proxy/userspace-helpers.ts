// Shared by the userspace proxy tests: real sockets on 127.0.0.x (all of 127/8 is lo on Linux).
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterEach } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import type { ServicePortEntry } from '../../src/proxy/types.js';
import { UserspaceProxy, type UserspaceProxyOptions } from '../../src/proxy/userspace/backend.js';
import { until as pollUntil } from '../helpers/poll.js';

/**
 * A test file's proxies on `node`, with clean-ups run (in reverse) after each test: call once
 * at the top of a file.
 */
export function proxyHarness(node: string): { cleanups: (() => Promise<void>)[]; proxy: (opts?: Partial<UserspaceProxyOptions>) => Promise<UserspaceProxy> } {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const proxy = async (opts: Partial<UserspaceProxyOptions> = {}): Promise<UserspaceProxy> => {
    const p = new UserspaceProxy({ nodeAddresses: [node], logger: silentLogger(), ...opts });
    await p.start();
    cleanups.push(() => p.stop());
    return p;
  };
  return { cleanups, proxy };
}

export function entry(key: string, e: Partial<ServicePortEntry>): ServicePortEntry {
  const [ns, rest] = key.split('/') as [string, string];
  const [service, portName] = rest.split(':') as [string, string];
  return { key, namespace: ns, service, portName, protocol: 'TCP', port: 80, externalIPs: [], endpoints: [], ...e };
}

/** A port nothing listens on right now at `host` (bound then released). */
export async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface NamedServer {
  ip: string;
  port: number;
  accepted: number;
  close(): Promise<void>;
}

/** A TCP endpoint that greets every connection with `name\n`, then echoes. */
export async function namedServer(ip: string, name: string): Promise<NamedServer> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    out.accepted++;
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => srv.listen(0, ip, () => r()));
  const out: NamedServer = {
    ip,
    port: (srv.address() as net.AddressInfo).port,
    accepted: 0,
    close: () => {
      for (const s of socks) s.destroy();
      return new Promise((r) => srv.close(() => r()));
    },
  };
  return out;
}

export function connect(port: number, host: string, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until the first newline. */
export function firstLine(s: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        s.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', () => reject(new Error(`closed before a line (got ${JSON.stringify(buf)})`)));
  });
}

/** Connect through the proxy and return which endpoint greeted us. */
export async function ask(port: number, host: string, localAddress?: string): Promise<string> {
  const s = await connect(port, host, localAddress);
  try {
    return await firstLine(s);
  } finally {
    s.destroy();
  }
}

/** How the proxy answered a connection it cannot serve: 'reset', 'closed' (FIN) or data. */
export function outcome(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.on('data', (d) => { resolve(`data:${d.toString()}`); s.destroy(); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('end', () => resolve('closed'));
  });
}

export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Waits for a synchronous condition (test/helpers/poll.ts, polled every 10 ms). */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  await pollUntil('the condition', () => Promise.resolve(cond() || undefined), ms, 10);
}

/** A UDP endpoint that answers every datagram with `name:payload`. */
export async function udpNamedServer(ip: string, name: string): Promise<{ ip: string; port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, r) => sock.send(`${name}:${m.toString()}`, r.port, r.address));
  await new Promise<void>((r) => sock.bind(0, ip, () => r()));
  return { ip, port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}

export async function udpClient(localIp: string): Promise<{ ask(msg: string, port: number, host: string, timeoutMs?: number): Promise<string>; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, localIp, () => r()));
  return {
    ask: (msg, port, host, timeoutMs = 3000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no UDP reply')), timeoutMs);
      sock.once('message', (m) => { clearTimeout(t); resolve(m.toString()); });
      sock.send(msg, port, host);
    }),
    close: () => new Promise((r) => sock.close(() => r())),
  };
}
