// ClientIP session affinity: a client address sticks to the endpoint it last reached until it
// has been idle (no new connection or flow, no connection ending) for the Service's timeout.
// Expiry is lazy (checked on lookup), plus a sweep when the table grows past its bound, so
// a scan of many client addresses cannot grow it without limit.

/** Most client addresses remembered per service port (beyond it, the idlest are forgotten). */
const maxAffinityEntries = 10_000;

interface Sticky {
  endpoint: string;
  lastUsed: number;
}

export class AffinityTable {
  private readonly byClient = new Map<string, Sticky>();

  constructor(private timeoutMs: number, private readonly now: () => number = () => performance.now()) {}

  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }

  /** The endpoint id (`ip:port`) this client sticks to, if its record has not expired. */
  get(client: string): string | undefined {
    const s = this.byClient.get(client);
    if (!s) return undefined;
    if (this.now() - s.lastUsed > this.timeoutMs) {
      this.byClient.delete(client);
      return undefined;
    }
    return s.endpoint;
  }

  set(client: string, endpoint: string): void {
    // Delete first so Map order stays "least recently used first" for the eviction below.
    this.byClient.delete(client);
    this.byClient.set(client, { endpoint, lastUsed: this.now() });
    if (this.byClient.size > maxAffinityEntries) this.sweep();
  }

  /** Activity on an existing record (a connection ended): restart its idle clock. */
  touch(client: string, endpoint: string): void {
    const s = this.byClient.get(client);
    if (s && s.endpoint === endpoint) s.lastUsed = this.now();
  }

  /** Forget a client whose endpoint failed, so its next connection picks another one. */
  forget(client: string, endpoint: string): void {
    if (this.byClient.get(client)?.endpoint === endpoint) this.byClient.delete(client);
  }

  get size(): number {
    return this.byClient.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [client, s] of this.byClient) if (t - s.lastUsed > this.timeoutMs) this.byClient.delete(client);
    for (const client of this.byClient.keys()) {
      if (this.byClient.size <= maxAffinityEntries) break;
      this.byClient.delete(client);
    }
  }
}
