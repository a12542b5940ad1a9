// The iptables backend's rules as data and as iptables-restore text: pure, no kernel.
import { describe, expect, it } from 'vitest';
import { staleUdpFlows } from '../../src/proxy/iptables/conntrack.js';
import { CounterBook } from '../../src/proxy/iptables/counters.js';
import { chains, maxChainName, sepChain, svcChain } from '../../src/proxy/iptables/names.js';
import { leftoversOf, parseChainListing, parseSave, planRestore } from '../../src/proxy/iptables/restore.js';
import { buildRuleSet, jumpRules } from '../../src/proxy/iptables/rules.js';
import type { ProxyState, ServicePortEntry } from '../../src/proxy/types.js';

function entry(name: string, over: Partial<ServicePortEntry> = {}): ServicePortEntry {
  return {
    key: `default/${name}:http`, namespace: 'default', service: name, portName: 'http', protocol: 'TCP',
    clusterIP: '10.96.0.10', port: 80, externalIPs: [],
    endpoints: [{ ip: '10.0.0.1', port: 31001 }, { ip: '10.0.0.2', port: 31002 }, { ip: '10.0.0.3', port: 31003 }],
    ...over,
  };
}

function specs(state: ProxyState, chain: string, table: 'nat' | 'filter' = 'nat'): string[] {
  return (buildRuleSet(state)[table].get(chain) ?? []).map((r) => r.spec);
}

const web = entry('web');

describe('iptables rules', () => {
  it('names chains from hashes of the key (and endpoint), within 28 characters, stable', () => {
    const svc = svcChain(web);
    const sep = sepChain(web, web.endpoints[0]!);
    expect(svc).toMatch(/^BRAMBLE-SVC-[A-Z2-7]{16}$/);
    expect(sep).toMatch(/^BRAMBLE-SEP-[A-Z2-7]{16}$/);
    expect(svc.length).toBeLessThanOrEqual(maxChainName);
    expect(svcChain(entry('web'))).toBe(svc);
    expect(svcChain(entry('other'))).not.toBe(svc);
    expect(svcChain({ ...web, protocol: 'UDP' })).not.toBe(svc);
    expect(sepChain(web, web.endpoints[1]!)).not.toBe(sep);
    for (const name of Object.values(chains)) expect(name.length).toBeLessThanOrEqual(maxChainName);
  });

  it('sends the ClusterIP and external IPs to the service chain, NodePorts last for local addresses', () => {
    const state = { ports: [entry('web', { externalIPs: ['192.168.1.5'], nodePort: 30080 })] };
    const svc = svcChain(web);
    expect(specs(state, chains.services)).toEqual([
      `-d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${svc}`,
      `-d 192.168.1.5/32 -p tcp -m comment --comment "default/web:http external IP" -m tcp --dport 80 -j ${svc}`,
      '-m comment --comment "bramble service nodeports" ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BRAMBLE-NODEPORTS',
    ]);
    expect(specs(state, chains.nodePorts)).toEqual([`-p tcp -m comment --comment "default/web:http nodePort" -m tcp --dport 30080 -j ${svc}`]);
  });

  it('picks endpoints evenly: probability 1/(n-i), the last one unconditionally', () => {
    const rules = specs({ ports: [web] }, svcChain(web));
    expect(rules[0]).toBe('-m comment --comment "default/web:http" -j BRAMBLE-MARK-MASQ');
    expect(rules.slice(1)).toEqual([
      `-m comment --comment "default/web:http" -m statistic --mode random --probability 0.3333333333 -j ${sepChain(web, web.endpoints[0]!)}`,
      `-m comment --comment "default/web:http" -m statistic --mode random --probability 0.5000000000 -j ${sepChain(web, web.endpoints[1]!)}`,
      `-m comment --comment "default/web:http" -j ${sepChain(web, web.endpoints[2]!)}`,
    ]);
    expect(specs({ ports: [web] }, sepChain(web, web.endpoints[1]!))).toEqual(['-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.0.0.2:31002']);
  });

  it('ClientIP affinity: recent --rcheck per endpoint before the random pick, --set on DNAT', () => {
    const e = entry('web', { affinitySeconds: 600 });
    const sep0 = sepChain(e, e.endpoints[0]!);
    const rules = specs({ ports: [e] }, svcChain(e));
    expect(rules).toHaveLength(1 + 3 + 3);
    expect(rules[1]).toBe(`-m comment --comment "default/web:http" -m recent --name ${sep0} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${sep0}`);
    expect(specs({ ports: [e] }, sep0)).toEqual([`-p tcp -m comment --comment "default/web:http" -m recent --name ${sep0} --mask 255.255.255.255 --rsource --set -m tcp -j DNAT --to-destination 10.0.0.1:31001`]);
  });

  it('a service port without endpoints has no nat chain and is rejected in the filter table', () => {
    const e = entry('web', { endpoints: [], nodePort: 30080, protocol: 'UDP' });
    const set = buildRuleSet({ ports: [e] });
    expect(set.nat.has(svcChain(e))).toBe(false);
    expect(specs({ ports: [e] }, chains.services)).toHaveLength(1);
    expect(specs({ ports: [e] }, chains.reject, 'filter')).toEqual([
      '-d 10.96.0.10/32 -p udp -m comment --comment "default/web:http has no endpoints" -m udp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
      '-p udp -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m udp --dport 30080 -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(specs({ ports: [entry('web', { endpoints: [] })] }, chains.reject, 'filter')[0]).toContain('--reject-with tcp-reset');
  });

  it('marks service traffic, masquerades it, accepts it in FORWARD and counts it', () => {
    const state = { ports: [web] };
    expect(specs(state, chains.postrouting)).toEqual([
      '-m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-j MARK --xor-mark 0x4000',
      '-m comment --comment "bramble service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(specs(state, chains.forward, 'filter')).toContain('-m comment --comment "bramble service traffic" -m connmark --mark 0x4000/0x4000 -j ACCEPT');
    const account = buildRuleSet(state).filter.get(chains.account)!;
    expect(account.map((r) => r.counts?.field)).toEqual(['bytesIn', 'bytesOut']);
    expect(buildRuleSet(state, { accounting: false }).filter.has(chains.account)).toBe(false);
  });

  it('is deterministic: entry and endpoint order do not matter', () => {
    const a = entry('a', { clusterIP: '10.96.0.1' });
    const b = entry('b', { clusterIP: '10.96.0.2', endpoints: [...web.endpoints].reverse() });
    const one = planRestore({ next: buildRuleSet({ ports: [a, b] }) }).text;
    const two = planRestore({ next: buildRuleSet({ ports: [{ ...b, endpoints: web.endpoints }, a] }) }).text;
    expect(two).toBe(one);
  });
});

describe('iptables-restore plans', () => {
  const state: ProxyState = { ports: [entry('web', { nodePort: 30080 }), entry('api', { clusterIP: '10.96.0.20' })] };

  it('the first restore declares and fills every chain, and inserts each jump once', () => {
    const { text } = planRestore({ next: buildRuleSet(state), insertJumps: jumpRules() });
    expect(text.startsWith('*nat\n')).toBe(true);
    expect(text).toContain(':BRAMBLE-SERVICES - [0:0]\n');
    expect(text.match(/^-I /gm)).toHaveLength(jumpRules().length);
    expect(text).toContain('-I PREROUTING 1 -m comment --comment "bramble service portals" -j BRAMBLE-SERVICES');
    expect(text).toContain('-I FORWARD 1 -m comment --comment "bramble forwarding rules" -j BRAMBLE-FORWARD');
    expect(text.match(/^COMMIT$/gm)).toHaveLength(2);
    const lines = text.split('\n').filter((l) => l.startsWith('-A '));
    expect(new Set(lines).size).toBe(lines.length); // no duplicate rules
  });

  it('the same state again is a no-op: no text at all', () => {
    const prev = buildRuleSet(state);
    expect(planRestore({ next: buildRuleSet(structuredClone(state)), prev }).text).toBe('');
  });

  it('a changed endpoint rewrites only the chains that changed', () => {
    const prev = buildRuleSet(state);
    const moved: ProxyState = { ports: [state.ports[0]!, { ...state.ports[1]!, endpoints: [{ ip: '10.0.0.9', port: 31009 }] }] };
    const plan = planRestore({ next: buildRuleSet(moved), prev });
    const api = state.ports[1]!;
    expect(plan.rewritten.nat).toEqual([svcChain(api), sepChain(api, { ip: '10.0.0.9', port: 31009 })]);
    expect(plan.rewritten.filter).toEqual([]);
    for (const ep of api.endpoints) expect(plan.text).toContain(`-X ${sepChain(api, ep)}\n`);
    expect(plan.text).not.toContain('*filter');
  });

  it('a removed service port loses its chains (declared, so flushed, then deleted)', () => {
    const prev = buildRuleSet(state);
    const plan = planRestore({ next: buildRuleSet({ ports: [state.ports[0]!] }), prev });
    const api = state.ports[1]!;
    expect(plan.text).toContain(`:${svcChain(api)} - [0:0]\n`);
    expect(plan.text).toContain(`-X ${svcChain(api)}\n`);
    expect(plan.text.indexOf(`-X ${svcChain(api)}`)).toBeGreaterThan(plan.text.indexOf(`-A ${chains.services} `));
    expect(plan.text).not.toMatch(new RegExp(`^-A .*${svcChain(api)}`, 'm'));
  });

  it('clean-up from iptables-save: every BRAMBLE chain and every jump into one, nothing else', () => {
    const saved = parseSave([
      '*nat', ':PREROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', ':BRAMBLE-SERVICES - [0:0]', ':BRAMBLE-SVC-AAAAAAAAAAAAAAAA - [0:0]',
      '[3:180] -A PREROUTING -m comment --comment "bramble service portals" -j BRAMBLE-SERVICES',
      '[3:180] -A PREROUTING -m comment --comment "bramble service portals" -j BRAMBLE-SERVICES',
      '[0:0] -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
      '[1:60] -A BRAMBLE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j BRAMBLE-SVC-AAAAAAAAAAAAAAAA',
      'COMMIT', '*filter', ':FORWARD DROP [0:0]', ':BRAMBLE-FORWARD - [0:0]', '-A FORWARD -j BRAMBLE-FORWARD', '-A FORWARD -j DOCKER-USER', 'COMMIT', '',
    ].join('\n'));
    const left = leftoversOf(saved);
    expect(left.chains).toEqual({ nat: ['BRAMBLE-SERVICES', 'BRAMBLE-SVC-AAAAAAAAAAAAAAAA'], filter: ['BRAMBLE-FORWARD'] });
    expect(left.jumps).toHaveLength(3);
    const text = planRestore({ next: { nat: new Map(), filter: new Map() }, leftovers: left }).text;
    expect(text).toBe([
      '*nat', ':BRAMBLE-SERVICES - [0:0]', ':BRAMBLE-SVC-AAAAAAAAAAAAAAAA - [0:0]',
      '-D PREROUTING -m comment --comment "bramble service portals" -j BRAMBLE-SERVICES',
      '-D PREROUTING -m comment --comment "bramble service portals" -j BRAMBLE-SERVICES',
      '-X BRAMBLE-SERVICES', '-X BRAMBLE-SVC-AAAAAAAAAAAAAAAA', 'COMMIT',
      '*filter', ':BRAMBLE-FORWARD - [0:0]', '-D FORWARD -j BRAMBLE-FORWARD', '-X BRAMBLE-FORWARD', 'COMMIT', '',
    ].join('\n'));
    expect(saved.nat!.rules[3]).toEqual({ chain: 'BRAMBLE-SERVICES', spec: '-d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j BRAMBLE-SVC-AAAAAAAAAAAAAAAA', packets: 1, bytes: 60 });
  });

  it('start over leftovers: rewrites the wanted chains, deletes the stale ones, replaces the jumps', () => {
    const left = { chains: { nat: ['BRAMBLE-SERVICES', 'BRAMBLE-SVC-STALESTALESTALE1'], filter: [] }, jumps: [{ table: 'nat' as const, chain: 'OUTPUT', spec: '-j BRAMBLE-SERVICES' }] };
    const text = planRestore({ next: buildRuleSet({ ports: [] }), leftovers: left, insertJumps: jumpRules() }).text;
    expect(text).toContain('-X BRAMBLE-SVC-STALESTALESTALE1\n');
    expect(text).not.toContain('-X BRAMBLE-SERVICES');
    expect(text.indexOf('-D OUTPUT -j BRAMBLE-SERVICES')).toBeLessThan(text.indexOf('-I OUTPUT 1'));
  });
});

describe('iptables counters and conntrack', () => {
  it('adds deltas per service port and survives a rewrite of the counted chain', () => {
    const state = { ports: [web] };
    const rules = buildRuleSet(state);
    const svc = svcChain(web);
    const book = new CounterBook();
    const save = (p: number, inB: number): string => ['*nat', `[${p}:${p * 60}] -A ${svc} -m comment --comment "x" -j BRAMBLE-MARK-MASQ`, 'COMMIT', '*filter',
      `[9:${inB}] -A ${chains.account} x`, `[9:${2 * inB}] -A ${chains.account} y`, 'COMMIT'].join('\n');
    const read = (text: string): void => { const s = parseSave(text); book.record('nat', s.nat, rules); book.record('filter', s.filter, rules); };
    read(save(5, 100));
    read(save(7, 150));
    expect(book.snapshot([web.key])).toEqual([{ key: web.key, connections: 7, bytesIn: 150, bytesOut: 300, failed: 0 }]);
    book.rewritten('nat', [svc]);
    read(save(2, 150));
    expect(book.snapshot([web.key])[0]!.connections).toBe(9);
    book.retain(new Set());
    expect(book.snapshot([web.key])[0]!.connections).toBe(0);
  });

  it('reads one chain\'s counters from iptables -v -S', () => {
    const out = '-N BRAMBLE-SVC-X\n-A BRAMBLE-SVC-X -m comment --comment "default/web:http" -c 12 720 -j BRAMBLE-MARK-MASQ\n-A BRAMBLE-SVC-X -c 0 0 -j BRAMBLE-SEP-Y\n';
    expect(parseChainListing('BRAMBLE-SVC-X', out).rules).toEqual([
      { chain: 'BRAMBLE-SVC-X', spec: '-m comment --comment "default/web:http" -j BRAMBLE-MARK-MASQ', packets: 12, bytes: 720 },
      { chain: 'BRAMBLE-SVC-X', spec: '-j BRAMBLE-SEP-Y', packets: 0, bytes: 0 },
    ]);
  });

  it('deletes UDP flows to removed endpoints, and un-NATed flows when endpoints appear', () => {
    const dns = entry('dns', { protocol: 'UDP', port: 53, nodePort: 30053, endpoints: [{ ip: '10.0.0.1', port: 31053 }, { ip: '10.0.0.2', port: 31053 }] });
    const after = { ports: [{ ...dns, endpoints: [dns.endpoints[1]!] }] };
    expect(staleUdpFlows({ ports: [dns] }, after)).toEqual([
      ['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--orig-port-dst', '53', '--reply-src', '10.0.0.1', '--reply-port-src', '31053'],
      ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--reply-src', '10.0.0.1', '--reply-port-src', '31053'],
    ]);
    expect(staleUdpFlows({ ports: [{ ...dns, endpoints: [] }] }, after)).toEqual([['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--orig-port-dst', '53']]);
    expect(staleUdpFlows({ ports: [web] }, { ports: [] })).toEqual([]);
    expect(staleUdpFlows(undefined, after)).toEqual([]);
  });
});

