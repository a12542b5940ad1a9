// Moving bytes between a client socket and its endpoint socket, both directions.
//
// A hand-written loop rather than pipe()/pipeline(): the same pause-on-full/resume-on-drain
// backpressure, without pipe's per-chunk bookkeeping and its unpipe/cleanup listeners, and with
// byte counting in the same handler (bench/proxy.ts compares the variants). Memory stays bounded:
// a source is paused as soon as its destination's write buffer passes its high-water mark, and a
// paused socket stops reading from the kernel once its own read buffer is full, so a slow peer
// holds at most about two high-water marks per direction in this process; the rest waits in the
// kernel's socket buffers and, beyond them, in TCP flow control.
//
// Half-close: an `end` from one side becomes an `end` (FIN) to the other, after its pending
// writes (both sockets are allowHalfOpen). A side that dies (error, reset, destroyed before both
// of its halves finished) destroys the other side too, so nothing is left waiting forever.
import type { Socket } from 'node:net';

export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

/** Forward `client` ⇄ `upstream`; `done` runs once when both sockets are closed. */
export function forward(client: Socket, upstream: Socket, counts: ByteCounts, done: () => void): void {
  oneWay(client, upstream, (n) => { counts.bytesIn += n; });
  oneWay(upstream, client, (n) => { counts.bytesOut += n; });
  let closed = 0;
  const onClose = (): void => {
    if (++closed === 2) done();
  };
  linkClose(client, upstream, onClose);
  linkClose(upstream, client, onClose);
  if (client.isPaused()) client.resume();
}

function oneWay(src: Socket, dst: Socket, count: (n: number) => void): void {
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
