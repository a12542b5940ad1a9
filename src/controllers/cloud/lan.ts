// The `lan` provider: on a LAN there is no cloud to ask, so the fleet is the set of enrolled
// devices, and a device is enrolled while a node token names it. Revoking a device's last
// token removes it from the fleet: it can no longer connect, and its Node (once not Ready)
// is deleted with its pods. Only meaningful with the embedded broker, whose logins are these
// tokens; with an external broker node passwords live elsewhere and no provider is used.
import type { KObject } from '../../api/types.js';
import type { CloudProvider } from './provider.js';

/** The token records as the API server keeps them (read-only; no secrets in them). */
export interface TokenRecords {
  list(): readonly { node?: string; roles: readonly string[]; expiresAt?: string }[];
}

/** The nodes named by a token with role `node`, unexpired at `nowMs`. */
export function enrolledNodes(tokens: TokenRecords, nowMs: number): Set<string> {
  const out = new Set<string>();
  for (const t of tokens.list()) {
    if (t.node !== undefined && t.roles.includes('node') && (t.expiresAt === undefined || Date.parse(t.expiresAt) > nowMs)) out.add(t.node);
  }
  return out;
}

export function hasNodeToken(tokens: TokenRecords, node: string, nowMs: number): boolean {
  return enrolledNodes(tokens, nowMs).has(node);
}

/** How long the set of enrolled nodes is reused: a fleet of thousands of lost nodes is checked without re-reading every token each time. */
const cacheMs = 1000;

export class LanProvider implements CloudProvider {
  readonly name = 'lan';
  private cache: { at: number; nodes: Set<string> } | undefined;

  constructor(private readonly tokens: TokenRecords, private readonly now: () => number = Date.now) {}

  async instanceExists(node: KObject): Promise<boolean> {
    const now = this.now();
    if (!this.cache || now - this.cache.at >= cacheMs || now < this.cache.at) this.cache = { at: now, nodes: enrolledNodes(this.tokens, now) };
    return this.cache.nodes.has(node.metadata.name ?? '');
  }
}
