// Chain names and marks of the iptables backend. Per-service and per-endpoint chains are named
// from a hash of the entry key (and endpoint), like kube-proxy's KUBE-SVC-/KUBE-SEP-: stable
// across restarts, so a sync after a restart rewrites the same chains instead of leaking new ones.
import { createHash } from 'node:crypto';
import type { ProxyEndpoint, ServicePortEntry } from '../types.js';

/** Every chain this backend owns starts with this: clean-up and crash recovery match on it. */
export const chainPrefix = 'BRAMBLE-';

export const chains = {
  services: 'BRAMBLE-SERVICES',
  nodePorts: 'BRAMBLE-NODEPORTS',
  postrouting: 'BRAMBLE-POSTROUTING',
  markMasq: 'BRAMBLE-MARK-MASQ',
  forward: 'BRAMBLE-FORWARD',
  input: 'BRAMBLE-INPUT',
  output: 'BRAMBLE-OUTPUT',
  reject: 'BRAMBLE-REJECT',
  account: 'BRAMBLE-ACCOUNT',
} as const;

/** iptables' limit on chain names (XT_EXTENSION_MAXNAMELEN - 1). */
export const maxChainName = 28;

/**
 * The mark bit of service traffic: on the packet (first packet only: masquerade in POSTROUTING)
 * and on the connection (every packet: FORWARD accept and byte accounting). kube-proxy's bit;
 * Docker uses none.
 */
export const defaultMarkBit = 0x4000;

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 16 base32 characters of sha256(text) (80 bits: collisions are not a concern). */
function hash16(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += base32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 16) break;
    value &= 0xff; // keep only the bits not yet consumed (fewer than 8)
  }
  return out;
}

export function svcChain(entry: Pick<ServicePortEntry, 'key' | 'protocol'>): string {
  return `BRAMBLE-SVC-${hash16(`${entry.key}/${entry.protocol}`)}`;
}

export function sepChain(entry: Pick<ServicePortEntry, 'key' | 'protocol'>, ep: Pick<ProxyEndpoint, 'ip' | 'port'>): string {
  return `BRAMBLE-SEP-${hash16(`${entry.key}/${entry.protocol}/${ep.ip}:${ep.port}`)}`;
}
