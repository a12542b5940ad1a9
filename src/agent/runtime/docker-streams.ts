// Output streams of the Docker Engine: without a TTY, logs and exec output are multiplexed
// in frames of an 8-byte header ([stream, 0, 0, 0, size as uint32 BE]) and a payload.

/** Split multiplexed frames into their payloads (stdout and stderr merged, in order). */
export async function* demuxFrames(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      if (size > 0) yield pending.subarray(8, 8 + size);
      pending = pending.subarray(8 + size);
    }
  }
}

/** A Buffer (non-follow answers) or a stream, seen as chunks. */
export async function* chunks(source: Buffer | NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    yield source;
    return;
  }
  for await (const chunk of source as AsyncIterable<Buffer | string>) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

/** Keep the first `cap` bytes, remember whether more came. */
export class CappedOutput {
  private readonly parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(b: Buffer): void {
    const room = this.cap - this.size;
    if (b.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.parts.push(part);
    this.size += part.length;
  }

  text(): string {
    const s = Buffer.concat(this.parts).toString('utf8');
    return this.truncated ? `${s}\n[output truncated at ${this.cap} bytes]` : s;
  }
}
