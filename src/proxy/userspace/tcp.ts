// A TCP listener for one (address, port) of one service port: accepts, picks an endpoint,
// dials it with failover, then forwards (forward.ts).
import net from 'node:net';
import type { Logger } from '../../log/logger.js';
import type { ProxyEndpoint } from '../types.js';
import { adoptWithOnread, forward, ReadPump, type OnRead } from './forward.js';
import type { ReadBuffers } from './read-buffers.js';
import { clientAddress, type ServicePort } from './service.js';

/**
 * Opens a socket to an endpoint, with `onread` when it can (tests inject dials that fail or
 * delay on demand and may ignore it: their sockets are forwarded through 'data' events).
 */
export type Dial = (ep: ProxyEndpoint, onread?: OnRead) => net.Socket;

export interface TcpOptions {
  dial: Dial;
  connectTimeoutMs: number;
  /** Per-socket read and write high-water mark, bytes: larger moves more per wakeup, costs memory per connection. */
  highWaterMark: number;
  readBuffers: ReadBuffers;
  logger: Logger;
}

export function defaultDial(highWaterMark: number): Dial {
  return (ep, onread) => {
    // highWaterMark reaches the Duplex constructor (net.Socket passes its options on); the
    // typings of net.connect do not list it.
    const opts: net.TcpNetConnectOpts & { highWaterMark: number } = { host: ep.ip, port: ep.port, noDelay: true, allowHalfOpen: true, highWaterMark, ...(onread ? { onread } : {}) };
    return net.connect(opts);
  };
}

export class TcpListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly address: string, readonly port: number, public service: ServicePort, private readonly opts: TcpOptions) {
    // pauseOnConnect: read nothing from the client until its endpoint is connected, so a client
    // that sends at once is held back by TCP rather than buffered here.
    this.server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true, highWaterMark: opts.highWaterMark }, (c) => this.accept(c));
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.address, port: this.port, backlog: 511 }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.opts.logger.warn({ err, key: this.service.entry.key }, 'proxy listener error'));
        resolve();
      });
    });
  }

  /** Stops accepting and ends every connection accepted here. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Open sockets (client and endpoint sides, dials in progress included). */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Bytes held in this process for these connections: read but not yet written on. */
  bufferedBytes(): number {
    let n = 0;
    for (const s of this.sockets) n += s.writableLength + s.readableLength;
    return n;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(accepted: net.Socket): void {
    const svc = this.service;
    svc.counters.connections++;
    const pump = new ReadPump(this.opts.readBuffers);
    const adopted = adoptWithOnread(accepted, pump.onread, this.opts.highWaterMark);
    const client = adopted ?? accepted;
    this.track(client);
    client.on('error', () => { /* a reset before or after the dial: 'close' cleans up */ });
    const ip = clientAddress(client.remoteAddress);
    const order = svc.balancer.order(ip);
    this.dialNext(client, adopted ? pump : undefined, ip, order, 0);
  }

  private reject(client: net.Socket): void {
    this.service.counters.failed++;
    // An RST, as a packet-filter proxy with no endpoint would answer: the client fails at once.
    client.resetAndDestroy();
  }

  private dialNext(client: net.Socket, clientPump: ReadPump | undefined, ip: string, order: ProxyEndpoint[], i: number): void {
    const ep = order[i];
    if (ep === undefined || client.destroyed) {
      if (!client.destroyed) this.reject(client);
      return;
    }
    const svc = this.service;
    const upPump = new ReadPump(this.opts.readBuffers);
    const up = this.opts.dial(ep, upPump.onread);
    this.track(up);
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('close', abort);
      up.destroy();
      svc.balancer.failed(ip, ep);
      this.opts.logger.debug({ key: svc.entry.key, endpoint: `${ep.ip}:${ep.port}`, why }, 'proxy endpoint failed, trying the next one');
      this.dialNext(client, clientPump, ip, order, i + 1);
    };
    const abort = (): void => { settled = true; clearTimeout(timer); up.destroy(); };
    const timer = setTimeout(() => fail('connect timeout'), this.opts.connectTimeoutMs);
    up.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    client.once('close', abort);
    up.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('close', abort);
      svc.balancer.connected(ip, ep);
      forward(client, up, svc.counters, () => svc.balancer.ended(ip, ep), { client: clientPump, upstream: upPump });
    });
  }
}
