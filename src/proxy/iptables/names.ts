// Chain names and marks of the iptables backend. Per-service and per-endpoint chains are named
// from a hash of the entry key (and endpoint), like kube-proxy's KUBE-SVC-/KUBE-SEP-: stable
// across restarts, so a sync after a restart rewrites the same chains instead of leaking new ones.
import { createHash } from 'node:crypto';
import type { ProxyEndpoint, ServicePortEntry } from '../types.js';

/** Every chain this backend owns starts with this: clean-up and crash recovery match on it. */
export const chainPrefix = 'BRAMBLE-';

/** The fixed chains, for a prefix (tests on the host's own tables use another, never touching BRAMBLE-). */
export function fixedChains(prefix = chainPrefix) {
  return {
    services: `${prefix}SERVICES`,
    nodePorts: `${prefix}NODEPORTS`,
    postrouting: `${prefix}POSTROUTING`,
    markMasq: `${prefix}MARK-MASQ`,
    forward: `${prefix}FORWARD`,
    input: `${prefix}INPUT`,
    output: `${prefix}OUTPUT`,
    reject: `${prefix}REJECT`,
    account: `${prefix}ACCOUNT`,
  } as const;
}

export const chains = fixedChains();

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

/** A prefix must leave room for `SVC-` + 16 hash characters within 28. */
export function checkPrefix(prefix: string): string {
  if (!/^[A-Z0-9]+-$/.test(prefix) || prefix.length > 8) throw new Error(`chain prefix ${JSON.stringify(prefix)}: 2–8 characters A-Z0-9 ending in "-"`);
  return prefix;
}

export function svcChain(entry: Pick<ServicePortEntry, 'key' | 'protocol'>, prefix = chainPrefix): string {
  return `${prefix}SVC-${hash16(`${entry.key}/${entry.protocol}`)}`;
}

export function sepChain(entry: Pick<ServicePortEntry, 'key' | 'protocol'>, ep: Pick<ProxyEndpoint, 'ip' | 'port'>, prefix = chainPrefix): string {
  return `${prefix}SEP-${hash16(`${entry.key}/${entry.protocol}/${ep.ip}:${ep.port}`)}`;
}
