// Splits a byte stream into JSON values, one per line, as the bytes arrive (a watch never ends on its own).

export async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== '') yield JSON.parse(line) as unknown;
      }
    }
    buffered += decoder.decode();
    if (buffered.trim() !== '') yield JSON.parse(buffered) as unknown;
  } finally {
    // Stops the HTTP stream when the consumer breaks out early.
    await reader.cancel().catch(() => undefined);
  }
}
