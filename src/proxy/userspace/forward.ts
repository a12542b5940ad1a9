// Moving bytes between a client socket and its endpoint socket, both directions.
//
// Sockets created with a ReadPump's `onread` (read-buffers.ts) read into buffers kept per
// socket and write from them; others (a dial injected by tests) use 'data' events. Neither uses
// pipe(): the same pause-on-full/resume-on-drain backpressure without its per-chunk bookkeeping,
// and byte counting in the same handler (bench/proxy.ts compares the variants). Memory stays
// bounded: a source stops reading as soon as its destination's write buffer passes its
// high-water mark, so a slow peer holds at most about two high-water marks plus one read buffer
// per direction in this process; the rest waits in the kernel's socket buffers and, beyond
// them, in TCP flow control.
//
// Half-close: an `end` from one side becomes an `end` (FIN) to the other, after its pending
// writes (both sockets are allowHalfOpen). A side that dies (error, reset, destroyed before both
// of its halves finished) destroys the other side too, so nothing is left waiting forever.
import net, { type Socket } from 'node:net';
import type { ReadBuffers } from './read-buffers.js';

export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

/** Node's `onread` socket option. */
export interface OnRead {
  buffer: () => Buffer;
  callback: (n: number, buf: Buffer) => boolean;
}

/** One direction's reads for a socket created with `onread`: into its buffer, straight to `dst`. */
export class ReadPump {
  private buf: Buffer;
  private to: { src: Socket; dst: Socket; count: (n: number) => void } | undefined;
  readonly onread: OnRead;

  constructor(private readonly buffers: ReadBuffers) {
    this.buf = buffers.first();
    this.onread = { buffer: () => this.buf, callback: (n, b) => this.read(n, b) };
  }

  /** Before the source's first read: forward() runs as soon as both sockets are connected. */
  attach(src: Socket, dst: Socket, count: (n: number) => void): void {
    this.to = { src, dst, count };
    src.once('close', () => this.buffers.release(this.buf));
  }

  /** Returning false stops the socket reading (Node's contract) until `resume()`. */
  private read(n: number, b: Buffer): boolean {
    const to = this.to;
    if (!to) throw new Error('proxy: a socket read before it was attached to its peer');
    to.count(n);
    const ok = to.dst.write(n === b.length ? b : b.subarray(0, n));
    this.buf = this.buffers.next(b, n, to.dst.writableLength > 0);
    return ok; // on false, forward()'s 'drain' handler resumes the source
  }
}

/**
 * An accepted socket re-created around the same handle with `onread`: net.Server has no such
 * option. Relies on `_handle` (stable since Node 0.x, but not public); undefined when it is
 * missing, and the caller keeps the socket as it is. The old object is destroyed without its
 * handle, which closes nothing but lets the server stop counting it.
 */
export function adoptWithOnread(accepted: Socket, onread: OnRead, highWaterMark: number): Socket | undefined {
  const husk = accepted as unknown as { _handle: unknown };
  const handle = husk._handle;
  if (handle === null || typeof handle !== 'object' || accepted.readableFlowing === true) return undefined;
  husk._handle = null;
  // `handle` and `pauseOnCreate` (what the server's pauseOnConnect uses) are not in the typings.
  const opts = { handle, onread, highWaterMark, allowHalfOpen: true, pauseOnCreate: true } as unknown as net.SocketConstructorOpts;
  const socket = new net.Socket(opts);
  accepted.destroy();
  return socket;
}

export interface Pumps {
  client?: ReadPump;
  upstream?: ReadPump;
}

/** Forward `client` ⇄ `upstream`; `done` runs once when both sockets are closed. */
export function forward(client: Socket, upstream: Socket, counts: ByteCounts, done: () => void, pumps: Pumps = {}): void {
  oneWay(client, upstream, (n) => { counts.bytesIn += n; }, pumps.client);
  oneWay(upstream, client, (n) => { counts.bytesOut += n; }, pumps.upstream);
  let closed = 0;
  const onClose = (): void => {
    if (++closed === 2) done();
  };
  linkClose(client, upstream, onClose);
  linkClose(upstream, client, onClose);
  client.resume();
}

function oneWay(src: Socket, dst: Socket, count: (n: number) => void, pump: ReadPump | undefined): void {
  pump?.attach(src, dst, count);
  // A socket with onread never emits 'data'; the listener also keeps it flowing, so 'end' comes.
  src.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  src.on('end', () => dst.end());
}

function linkClose(a: Socket, b: Socket, onClose: () => void): void {
  a.on('error', () => { /* reported by 'close'; the other side is destroyed there */ });
  a.on('close', () => {
    // A clean close has seen both halves finish: `b` was already told `end` and flushes on its own.
    if (!a.readableEnded || !a.writableFinished) b.destroy();
    onClose();
  });
}
