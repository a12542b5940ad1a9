// Host port bookkeeping for the fake runtime, with the engine's rules: an explicit port that
// is taken on the same address (or on the wildcard address) is refused, port 0 gets a free one
// from the ephemeral range.

const wildcard = (ip: string): boolean => ip === '' || ip === '0.0.0.0';

interface Holder {
  ip: string;
  owner: string;
}

export class HostPorts {
  /** `${protocol}/${port}` → holders (one per address). */
  private readonly used = new Map<string, Holder[]>();
  private next: number;

  constructor(private readonly first = 32768, private readonly last = 60999) {
    this.next = first;
  }

  private key(protocol: string, port: number): string {
    return `${protocol}/${port}`;
  }

  private taken(protocol: string, port: number, ip: string): boolean {
    const holders = this.used.get(this.key(protocol, port)) ?? [];
    return holders.some((h) => h.ip === ip || wildcard(h.ip) || wildcard(ip));
  }

  /** Reserve a port for `owner`; throws the engine's message when it is taken. */
  reserve(owner: string, protocol: string, ip: string, port: number): number {
    if (port === 0) port = this.pickFree(protocol, ip);
    else if (this.taken(protocol, port, ip)) {
      throw new Error(`Bind for ${wildcard(ip) ? '0.0.0.0' : ip}:${port} failed: port is already allocated`);
    }
    const key = this.key(protocol, port);
    const holders = this.used.get(key) ?? [];
    holders.push({ ip, owner });
    this.used.set(key, holders);
    return port;
  }

  private pickFree(protocol: string, ip: string): number {
    const span = this.last - this.first + 1;
    for (let i = 0; i < span; i++) {
      const port = this.next;
      this.next = port >= this.last ? this.first : port + 1;
      if (!this.taken(protocol, port, ip)) return port;
    }
    throw new Error('no free host port in the ephemeral range');
  }

  /** Free every port `owner` holds. */
  release(owner: string): void {
    for (const [key, holders] of this.used) {
      const left = holders.filter((h) => h.owner !== owner);
      if (left.length === 0) this.used.delete(key);
      else this.used.set(key, left);
    }
  }
}
