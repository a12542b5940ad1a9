// Read buffers for forwarded TCP sockets (Node's `onread` option): each read lands in a buffer
// the socket keeps instead of a fresh 64 KiB allocation per read, and a bulk flow's buffer grows
// so one read (one callback, one write) moves up to `max` bytes. In the bench this halves the
// proxy's CPU per byte against pipe().
//
// A buffer is reused only when the write of what was read into it completed synchronously (the
// kernel took it all); when the write is still pending it holds the buffer, so the next read
// gets a new one. Growth beyond `min` is shared out of one process-wide budget, so many bulk
// connections on a small device fall back to `min`-sized reads rather than growing memory.

export interface ReadBufferOptions {
  /** Every socket's starting (and smallest) read buffer, bytes. */
  min: number;
  /** The largest a busy socket's read buffer grows to, bytes. */
  max: number;
  /** Bytes above `min` all sockets' buffers may hold together. */
  budget: number;
}

export const defaultReadBuffers: ReadBufferOptions = { min: 16 * 1024, max: 1024 * 1024, budget: 16 * 1024 * 1024 };

export class ReadBuffers {
  /** Bytes above `min` held by sockets' current buffers. */
  private extra = 0;

  constructor(readonly o: ReadBufferOptions = defaultReadBuffers) {
    if (!(o.min > 0 && o.max >= o.min && o.budget >= 0)) throw new RangeError(`read buffers: need 0 < min <= max and budget >= 0 (min ${o.min}, max ${o.max}, budget ${o.budget})`);
  }

  /** Bytes above `min` held now (tests and metrics). */
  get held(): number {
    return this.extra;
  }

  first(): Buffer {
    return Buffer.allocUnsafe(this.o.min);
  }

  /**
   * The buffer for the next read, after `n` bytes were read into `cur`. A full read asks for
   * twice the size (within `max` and the budget), a read under a quarter of it halves it (not
   * below `min`), so an interactive flow keeps a small buffer. `pinned`: a pending write still
   * references `cur`, so it cannot be read into again.
   */
  next(cur: Buffer, n: number, pinned: boolean): Buffer {
    const size = cur.length;
    let want = size;
    if (n === size && size < this.o.max) want = Math.min(this.o.max, size * 2);
    else if (n < size / 4 && size > this.o.min) want = Math.max(this.o.min, Math.floor(size / 2));
    if (want > size && this.extra + (want - size) > this.o.budget) want = size;
    if (want === size && !pinned) return cur;
    this.extra += want - size;
    return Buffer.allocUnsafe(want);
  }

  /** A socket closed: its buffer's share of the budget is free again. */
  release(cur: Buffer): void {
    this.extra -= cur.length - this.o.min;
  }
}
