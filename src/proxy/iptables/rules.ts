// ProxyState → the rules of the iptables backend, as data: for each table, our chains and their
// rules in order (the text after `-A CHAIN `). Pure and deterministic (entries sorted by key,
// endpoints by address), so the same state always gives the same rules and a sync of an
// unchanged state is a no-op. restore.ts turns this into iptables-restore text.
//
// Packet path (docs/networking.md, "iptables mode"):
//   nat PREROUTING/OUTPUT → BRAMBLE-SERVICES: ClusterIP:port and externalIP:port → BRAMBLE-SVC-x;
//     last, destination a local address → BRAMBLE-NODEPORTS: nodePort → BRAMBLE-SVC-x.
//   BRAMBLE-SVC-x: mark for masquerade, then affinity (recent) or an even random pick → BRAMBLE-SEP-y.
//   BRAMBLE-SEP-y: DNAT to the endpoint's hostIP:hostPort.
//   nat POSTROUTING → BRAMBLE-POSTROUTING: marked packets are masqueraded (replies come back here).
//   filter INPUT/OUTPUT/FORWARD: new connections to a service port without endpoints are
//     rejected (BRAMBLE-REJECT); marked connections are counted (BRAMBLE-ACCOUNT) and, when
//     forwarded, accepted before Docker's FORWARD chains (policy DROP).
import type { ProxyEndpoint, ServicePortEntry, ProxyState } from '../types.js';
import { chainPrefix, checkPrefix, defaultMarkBit, fixedChains, sepChain, svcChain } from './names.js';

export type CounterField = 'connections' | 'bytesIn' | 'bytesOut' | 'failed';

export interface Rule {
  /** The rule after `-A CHAIN `. */
  spec: string;
  /** What this rule's counters add to, if anything (packets for connections/failed, bytes otherwise). */
  counts?: { key: string; field: CounterField };
}

export type Table = 'nat' | 'filter';
/** Our chains of one table, each with its rules in order; Map order is the output order. */
export type TableRules = Map<string, Rule[]>;
export type RuleSet = Record<Table, TableRules>;

/** A rule in a built-in chain that sends traffic into ours (inserted first in that chain). */
export interface JumpRule {
  table: Table;
  chain: string;
  spec: string;
}

export interface RuleOptions {
  /** The mark bit of service traffic (default 0x4000). */
  markBit?: number;
  /** Per service port byte counters in the filter table (default true; costs a rule pair per front-end). */
  accounting?: boolean;
  /** Chain name prefix (default BRAMBLE-; ≤ 8 characters). Only tests on a shared host use another. */
  chainPrefix?: string;
}

/** The names rules are built with: fixed chains and the per-service/endpoint namers, for one prefix. */
interface Names {
  chains: ReturnType<typeof fixedChains>;
  svc: (e: ServicePortEntry) => string;
  sep: (e: ServicePortEntry, ep: ProxyEndpoint) => string;
}

/** Names for one build, memoized: each is asked for several times and a sha256 is not free (1000 services: ~12 000 asks). */
function namesFor(prefix = chainPrefix): Names {
  checkPrefix(prefix);
  const memo = new Map<string, string>();
  const once = (id: string, make: () => string): string => {
    let v = memo.get(id);
    if (v === undefined) memo.set(id, (v = make()));
    return v;
  };
  return {
    chains: fixedChains(prefix),
    svc: (e) => once(`${e.key}\0${e.protocol}`, () => svcChain(e, prefix)),
    sep: (e, ep) => once(`${e.key}\0${e.protocol}\0${ep.ip}:${ep.port}`, () => sepChain(e, ep, prefix)),
  };
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, '')}"`;
const comment = (s: string): string => `-m comment --comment ${quote(s)}`;
const proto = (e: ServicePortEntry): string => e.protocol.toLowerCase();
const hex = (n: number): string => `0x${n.toString(16)}`;

export function jumpRules(prefix = chainPrefix): JumpRule[] {
  const chains = fixedChains(prefix);
  return [
    { table: 'nat', chain: 'PREROUTING', spec: `${comment('bramble service portals')} -j ${chains.services}` },
    { table: 'nat', chain: 'OUTPUT', spec: `${comment('bramble service portals')} -j ${chains.services}` },
    { table: 'nat', chain: 'POSTROUTING', spec: `${comment('bramble postrouting rules')} -j ${chains.postrouting}` },
    { table: 'filter', chain: 'INPUT', spec: `${comment('bramble services')} -j ${chains.input}` },
    { table: 'filter', chain: 'OUTPUT', spec: `${comment('bramble services')} -j ${chains.output}` },
    { table: 'filter', chain: 'FORWARD', spec: `${comment('bramble forwarding rules')} -j ${chains.forward}` },
  ];
}

/** The addresses a service port is reached at on `port` (ClusterIP first, then externalIPs). */
function frontAddresses(e: ServicePortEntry): string[] {
  return [...(e.clusterIP !== undefined ? [e.clusterIP] : []), ...[...e.externalIPs].sort()];
}

function sortedEndpoints(e: ServicePortEntry): ProxyEndpoint[] {
  return [...e.endpoints].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

export function buildRuleSet(state: ProxyState, opts: RuleOptions = {}): RuleSet {
  const mark = opts.markBit ?? defaultMarkBit;
  const n = namesFor(opts.chainPrefix);
  const chains = n.chains;
  const entries = [...state.ports].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.protocol < b.protocol ? -1 : 1));
  const served = entries.filter((e) => e.endpoints.length > 0);
  const nat: TableRules = new Map();
  const filter: TableRules = new Map();
  nat.set(chains.services, servicesRules(served, n));
  nat.set(chains.nodePorts, served.flatMap((e) => (e.nodePort !== undefined ? [{ spec: `-p ${proto(e)} ${comment(`${e.key} nodePort`)} -m ${proto(e)} --dport ${e.nodePort} -j ${n.svc(e)}` }] : [])));
  nat.set(chains.markMasq, [{ spec: `-j MARK --or-mark ${hex(mark)}` }, { spec: `-j CONNMARK --or-mark ${hex(mark)}` }]);
  nat.set(chains.postrouting, [
    { spec: `-m mark ! --mark ${hex(mark)}/${hex(mark)} -j RETURN` },
    // Clear the bit so a packet that is re-encapsulated or looped is not masqueraded twice.
    { spec: `-j MARK --xor-mark ${hex(mark)}` },
    { spec: `${comment('bramble service traffic requiring SNAT')} -j MASQUERADE --random-fully` },
  ]);
  for (const e of served) {
    const eps = sortedEndpoints(e);
    nat.set(n.svc(e), svcRules(e, eps, n));
    for (const ep of eps) nat.set(n.sep(e, ep), sepRules(e, ep, n));
  }
  const accounting = opts.accounting ?? true;
  const marked = `-m connmark --mark ${hex(mark)}/${hex(mark)}`;
  const toReject: Rule = { spec: `-m conntrack --ctstate NEW -j ${chains.reject}` };
  const toAccount = (extra: string): Rule[] => (accounting ? [{ spec: `${extra}${marked} -j ${chains.account}` }] : []);
  filter.set(chains.input, [toReject, ...toAccount('! -i lo ')]); // lo: already counted in OUTPUT
  filter.set(chains.output, [toReject, ...toAccount('')]);
  filter.set(chains.forward, [toReject, ...toAccount(''), { spec: `${comment('bramble service traffic')} ${marked} -j ACCEPT` }]);
  filter.set(chains.reject, entries.filter((e) => e.endpoints.length === 0).flatMap(rejectRules));
  if (accounting) filter.set(chains.account, accountRules(served));
  return { nat, filter };
}

function servicesRules(served: ServicePortEntry[], n: Names): Rule[] {
  const rules: Rule[] = [];
  for (const e of served) {
    for (const addr of frontAddresses(e)) {
      const what = addr === e.clusterIP ? 'cluster IP' : 'external IP';
      rules.push({ spec: `-d ${addr}/32 -p ${proto(e)} ${comment(`${e.key} ${what}`)} -m ${proto(e)} --dport ${e.port} -j ${n.svc(e)}` });
    }
  }
  // Last, as kube-proxy does: only traffic that matched no service address is looked at as a NodePort.
  // Not 127.0.0.0/8: a DNAT from a loopback source to another node is dropped as martian (kube-proxy
  // sets route_localnet for it; we leave the host's sysctls alone), so localhost:nodePort is refused.
  rules.push({ spec: `${comment('bramble service nodeports')} ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j ${n.chains.nodePorts}` });
  return rules;
}

/** `eps`: the entry's endpoints, sorted (sortedEndpoints). */
function svcRules(e: ServicePortEntry, eps: ProxyEndpoint[], n: Names): Rule[] {
  const c = comment(e.key);
  // Every new connection passes this first rule: its packet count is the connection count.
  const rules: Rule[] = [{ spec: `${c} -j ${n.chains.markMasq}`, counts: { key: e.key, field: 'connections' } }];
  if (e.affinitySeconds !== undefined) {
    for (const ep of eps) {
      const sep = n.sep(e, ep);
      rules.push({ spec: `${c} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${e.affinitySeconds} --reap -j ${sep}` });
    }
  }
  eps.forEach((ep, i) => {
    const left = eps.length - i;
    // 1/left of what is left at each step gives every endpoint the same share.
    const pick = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : '';
    rules.push({ spec: `${c} ${pick}-j ${n.sep(e, ep)}` });
  });
  return rules;
}

function sepRules(e: ServicePortEntry, ep: ProxyEndpoint, n: Names): Rule[] {
  const sep = n.sep(e, ep);
  const remember = e.affinitySeconds !== undefined ? `-m recent --name ${sep} --mask 255.255.255.255 --rsource --set ` : '';
  return [{ spec: `-p ${proto(e)} ${comment(e.key)} ${remember}-m ${proto(e)} -j DNAT --to-destination ${ep.ip}:${ep.port}` }];
}

function rejectRules(e: ServicePortEntry): Rule[] {
  const how = e.protocol === 'TCP' ? 'tcp-reset' : 'icmp-port-unreachable';
  const c = comment(`${e.key} has no endpoints`);
  const counts = { key: e.key, field: 'failed' as const };
  const rules: Rule[] = frontAddresses(e).map((addr) => ({ spec: `-d ${addr}/32 -p ${proto(e)} ${c} -m ${proto(e)} --dport ${e.port} -j REJECT --reject-with ${how}`, counts }));
  if (e.nodePort !== undefined) rules.push({ spec: `-p ${proto(e)} ${c} -m addrtype --dst-type LOCAL -m ${proto(e)} --dport ${e.nodePort} -j REJECT --reject-with ${how}`, counts });
  return rules;
}

/**
 * Byte counters: every packet of a marked (service) connection, once — ORIGINAL direction is
 * client → endpoint (bytesIn), REPLY is endpoint → client (bytesOut). Matched on the address the
 * client connected to (conntrack's original destination); service addresses first, NodePorts last
 * (a NodePort rule matches any local address).
 */
function accountRules(served: ServicePortEntry[]): Rule[] {
  const pair = (e: ServicePortEntry, match: string, what: string): Rule[] => (['ORIGINAL', 'REPLY'] as const).map((dir) => ({
    spec: `-p ${proto(e)} ${comment(`${e.key} ${what} ${dir === 'ORIGINAL' ? 'in' : 'out'}`)} -m conntrack ${match} --ctdir ${dir} -j RETURN`,
    counts: { key: e.key, field: dir === 'ORIGINAL' ? 'bytesIn' as const : 'bytesOut' as const },
  }));
  const rules = served.flatMap((e) => frontAddresses(e).flatMap((addr) => pair(e, `--ctorigdst ${addr}/32 --ctorigdstport ${e.port}`, addr === e.clusterIP ? 'cluster IP' : 'external IP')));
  for (const e of served) if (e.nodePort !== undefined) rules.push(...pair(e, `--ctorigdstport ${e.nodePort}`, 'nodePort'));
  return rules;
}
