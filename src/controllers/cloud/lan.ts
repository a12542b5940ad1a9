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

/** True when a token with role `node`, unexpired at `nowMs`, names this node. */
export function hasNodeToken(tokens: TokenRecords, node: string, nowMs: number): boolean {
  return tokens.list().some((t) => t.node === node && t.roles.includes('node') && (t.expiresAt === undefined || Date.parse(t.expiresAt) > nowMs));
}

export class LanProvider implements CloudProvider {
  readonly name = 'lan';

  constructor(private readonly tokens: TokenRecords, private readonly now: () => number = Date.now) {}

  async instanceExists(node: KObject): Promise<boolean> {
    return hasNodeToken(this.tokens, node.metadata.name ?? '', this.now());
  }
}
