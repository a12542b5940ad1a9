// A connection wrapper that refuses MQTT packets larger than a limit, reading only each
// packet's fixed header as the bytes arrive. aedes' parser buffers a whole packet before it
// looks at it, so without this one client could make the broker hold up to 256 MiB.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** Follows packet boundaries in a byte stream and reports the first packet over the limit. */
export class PacketSizeTracker {
  /** Bytes of the current packet's body still to skip. */
  private remaining = 0;
  /** Header bytes collected so far for the packet being started (type byte + length bytes). */
  private header: number[] = [];

  constructor(private readonly maxBytes: number) {}

  /** Feed a chunk; returns the size of an over-limit packet, or undefined while all is well. */
  feed(chunk: Buffer): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i]!);
      i++;
      if (this.header.length === 1) continue; // the type byte; the length follows
      const last = this.header[this.header.length - 1]!;
      if ((last & 0x80) !== 0 && this.header.length < 5) continue; // more length bytes
      let length = 0;
      for (let k = this.header.length - 1; k >= 1; k--) length = length * 128 + (this.header[k]! & 0x7f);
      this.header = [];
      if (length > this.maxBytes) return length;
      this.remaining = length;
    }
    return undefined;
  }
}

/**
 * The socket as aedes sees it, with over-limit packets refused by destroying the socket.
 *
 * aedes waits for a subscriber's socket to drain before it takes the publisher's next packet,
 * so one node that stops reading (its link died; TCP has not noticed yet) would stall every
 * message the master publishes, to every node, until that node's keepalive runs out. A
 * connection `decouple()`d never reports backpressure: what its peer has not read waits here,
 * up to a limit, past which the peer is cut off (its Last Will then reports it gone).
 */
export class SizeLimitedConnection extends Duplex {
  private readonly tracker: PacketSizeTracker;
  private outbound: { limit: number; onOverflow: (queued: number) => void } | undefined;

  constructor(private readonly socket: Socket, maxBytes: number, onTooLarge: (bytes: number) => void) {
    super();
    this.tracker = new PacketSizeTracker(maxBytes);
    socket.on('data', (chunk: Buffer) => {
      const tooLarge = this.tracker.feed(chunk);
      if (tooLarge !== undefined) {
        onTooLarge(tooLarge);
        socket.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (err) => this.destroy(err));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** Stops reporting backpressure; a peer with more than `limit` bytes unread is cut off. */
  decouple(limit: number, onOverflow: (queued: number) => void): void {
    this.outbound = { limit, onOverflow };
  }

  /** Bytes written here that the peer has not taken yet (ours and the socket's buffers). */
  get queuedBytes(): number {
    return this.writableLength + this.socket.writableLength;
  }

  // Node's overloads of write(): (chunk, cb?) and (chunk, encoding, cb?).
  override write(chunk: unknown, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    const ok = typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding as BufferEncoding, cb);
    const out = this.outbound;
    if (!out) return ok;
    const queued = this.queuedBytes;
    if (queued > out.limit && !this.destroyed) {
      out.onOverflow(queued);
      this.destroy(new Error(`MQTT peer not reading: ${queued} bytes queued`));
    }
    return true;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  /**
   * aedes writes each packet in pieces (header, topic, id, payload) under cork(); without
   * this every piece would be its own write(2) to the socket. One buffer per batch instead.
   */
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
