// The iptables backend against the real kernel, inside throwaway network namespaces
// (test/helpers/netns.ts): a client namespace, the node the rules are programmed in, and a
// remote node. Never the host's own rules.
import { afterAll, afterEach, expect, it } from 'vitest';
import { IptablesProxy } from '../../src/proxy/iptables/proxy.js';
import { svcChain } from '../../src/proxy/iptables/names.js';
import type { ServicePortEntry } from '../../src/proxy/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectFrom, inNs, makeTopology, startServers, type Topology } from '../helpers/netns.js';
import { describeIptables } from '../helpers/root.js';

let topology: Topology | undefined;
let servers: Promise<void> | undefined;

/** The namespaces and servers, made on first use (and removed in afterAll even if a test failed). */
async function topo(): Promise<Topology> {
  topology ??= await makeTopology();
  const t = topology;
  servers ??= (async () => {
    await startServers(t, t.node, [{ host: t.nodeIP, port: 31001, name: 'local' }, { host: t.nodeIP, port: 31053, name: 'udp-local', udp: true }]);
    await startServers(t, t.remote, [
      { host: t.remoteIP, port: 31002, name: 'remote' }, { host: t.remoteIP, port: 31003, name: 'remote2' },
      { host: t.remoteIP, port: 31053, name: 'udp-remote', udp: true },
    ]);
  })();
  await servers;
  return t;
}

afterAll(async () => { await topology?.cleanup(); });

const proxies: IptablesProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop().catch(() => undefined);
});

async function proxy(t: Topology): Promise<IptablesProxy> {
  const p = new IptablesProxy({ logger: silentLogger(), netns: t.node, counterIntervalMs: 0 });
  proxies.push(p);
  await p.start();
  return p;
}

function web(t: Topology, over: Partial<ServicePortEntry> = {}): ServicePortEntry {
  return {
    key: 'default/web:http', namespace: 'default', service: 'web', portName: 'http', protocol: 'TCP',
    clusterIP: '10.96.0.10', port: 80, nodePort: 30080, externalIPs: [],
    endpoints: [{ ip: t.nodeIP, port: 31001 }, { ip: t.remoteIP, port: 31002 }, { ip: t.remoteIP, port: 31003 }],
    ...over,
  };
}

const names = (answers: string[]): Set<string> => new Set(answers.map((a) => a.split(' ')[0]!));
const save = async (t: Topology, table?: 'nat' | 'filter'): Promise<string> => inNs(t.node, ['iptables-save', ...(table ? ['-t', table] : [])]);
const ourLines = (text: string): string[] => text.split('\n').filter((l) => l.includes('BRAMBLE'));

describeIptables('iptables proxy in a network namespace', () => {
  it('serves a ClusterIP and a NodePort from every endpoint, local and remote (masqueraded), through FORWARD policy DROP', async () => {
    const t = await topo();
    const p = await proxy(t);
    await p.sync({ ports: [web(t)] });
    const viaCluster = await connectFrom(t.client, 'tcp', '10.96.0.10', 80, 60);
    expect(names(viaCluster)).toEqual(new Set(['local', 'remote', 'remote2']));
    // The remote node has no route to the client: it answered the node's address.
    expect(viaCluster.filter((a) => a.startsWith('remote'))[0]).toContain(`${t.nodeRemoteIP}`);
    expect(names(await connectFrom(t.client, 'tcp', t.nodeIP, 30080, 60))).toEqual(new Set(['local', 'remote', 'remote2']));
    // From the node itself (nat OUTPUT).
    expect(names(await connectFrom(t.node, 'tcp', '10.96.0.10', 80, 30))).toEqual(new Set(['local', 'remote', 'remote2']));
    await p.refreshCounters();
    const [c] = p.counters();
    expect(c!.key).toBe('default/web:http');
    expect(c!.connections).toBe(150);
    expect(c!.bytesIn).toBeGreaterThan(0);
    expect(c!.bytesOut).toBeGreaterThan(c!.bytesIn); // the answers are longer than the handshakes' share
    // An endpoint leaves: the service chain is rewritten (its counters restart), the totals do not.
    await p.sync({ ports: [web(t, { endpoints: web(t).endpoints.slice(0, 2) })] });
    expect(names(await connectFrom(t.client, 'tcp', '10.96.0.10', 80, 10)).has('remote2')).toBe(false);
    await p.refreshCounters();
    expect(p.counters()[0]!.connections).toBe(160);
  });

  it('ClientIP affinity keeps a client on one endpoint', async () => {
    const t = await topo();
    const p = await proxy(t);
    await p.sync({ ports: [web(t, { affinitySeconds: 300 })] });
    expect(names(await connectFrom(t.client, 'tcp', '10.96.0.10', 80, 30)).size).toBe(1);
    expect(names(await connectFrom(t.client, 'tcp', t.nodeIP, 30080, 10)).size).toBe(1);
  });

  it('refuses connections to a service port without endpoints (ClusterIP and NodePort), and counts them', async () => {
    const t = await topo();
    const p = await proxy(t);
    await p.sync({ ports: [web(t, { endpoints: [] })] });
    expect(await connectFrom(t.client, 'tcp', '10.96.0.10', 80, 2)).toEqual(['ERR:ECONNREFUSED', 'ERR:ECONNREFUSED']);
    expect(await connectFrom(t.client, 'tcp', t.nodeIP, 30080, 1)).toEqual(['ERR:ECONNREFUSED']);
    expect(await connectFrom(t.node, 'tcp', '10.96.0.10', 80, 1)).toEqual(['ERR:ECONNREFUSED']);
    await p.refreshCounters();
    expect(p.counters()[0]!.failed).toBe(4);
  });

  it('syncs idempotently: the same state applies nothing, removed services leave no chains', async () => {
    const t = await topo();
    const p = await proxy(t);
    const api = web(t, { key: 'default/api:', service: 'api', portName: '', clusterIP: '10.96.0.20', nodePort: 30090 });
    await p.sync({ ports: [web(t), api] });
    const applied = p.restores;
    const before = await save(t);
    await p.sync({ ports: [api, web(t)] });
    expect(p.restores).toBe(applied);
    expect(await save(t)).toBe(before);
    const lines = ourLines(before).filter((l) => l.startsWith('-A'));
    expect(new Set(lines).size).toBe(lines.length);
    await p.sync({ ports: [web(t)] });
    const after = await save(t);
    expect(after).not.toContain(svcChain(api));
    expect(after).not.toContain('30090');
    expect(after).toContain(svcChain(web(t)));
  });

  it('stop removes every chain and jump; start replaces what a crashed run left', async () => {
    const t = await topo();
    const crashed = new IptablesProxy({ logger: silentLogger(), netns: t.node, counterIntervalMs: 0 });
    await crashed.start();
    await crashed.sync({ ports: [web(t)] });
    // A chain from an older version and a second jump, as if two runs had raced.
    await inNs(t.node, ['iptables', '-t', 'nat', '-N', 'BRAMBLE-SVC-OLDOLDOLDOLDOLD']);
    await inNs(t.node, ['iptables', '-t', 'nat', '-A', 'BRAMBLE-SERVICES', '-d', '10.96.0.99', '-j', 'BRAMBLE-SVC-OLDOLDOLDOLDOLD']);
    await inNs(t.node, ['iptables', '-t', 'nat', '-A', 'OUTPUT', '-j', 'BRAMBLE-SERVICES']);
    const p = await proxy(t); // never stopped `crashed`: its process "died"
    const restarted = ourLines(await save(t, 'nat'));
    expect(restarted.join('\n')).not.toContain('OLDOLD');
    expect(restarted.filter((l) => l.startsWith('-A OUTPUT'))).toEqual(['-A OUTPUT -m comment --comment "bramble service portals" -j BRAMBLE-SERVICES']);
    expect(restarted.filter((l) => / -j BRAMBLE-SVC-/.test(l))).toEqual([]);
    await p.sync({ ports: [web(t)] });
    expect(names(await connectFrom(t.client, 'tcp', '10.96.0.10', 80, 30)).size).toBe(3);
    await p.stop();
    expect(ourLines(await save(t))).toEqual([]);
    expect(await connectFrom(t.client, 'tcp', t.nodeIP, 30080, 1)).toEqual(['ERR:ECONNREFUSED']);
  });

  it('serves a UDP service and moves a running flow off a removed endpoint (conntrack)', async () => {
    const t = await topo();
    const p = await proxy(t);
    const dns = web(t, { key: 'default/dns:', service: 'dns', portName: '', protocol: 'UDP', clusterIP: '10.96.0.53', port: 53, nodePort: 30053, endpoints: [{ ip: t.nodeIP, port: 31053 }, { ip: t.remoteIP, port: 31053 }] });
    await p.sync({ ports: [dns] });
    expect(names(await connectFrom(t.client, 'udp', '10.96.0.53', 53, 40))).toEqual(new Set(['udp-local', 'udp-remote']));
    expect(names(await connectFrom(t.client, 'udp', t.nodeIP, 30053, 40))).toEqual(new Set(['udp-local', 'udp-remote']));
    // One flow (fixed source port), then its endpoint leaves the service while still answering.
    const [first] = await connectFrom(t.client, 'udp', '10.96.0.53', 53, 1, 40053);
    const keep = first === 'udp-local' ? dns.endpoints[1]! : dns.endpoints[0]!;
    await p.sync({ ports: [{ ...dns, endpoints: [keep] }] });
    expect(await connectFrom(t.client, 'udp', '10.96.0.53', 53, 1, 40053)).not.toEqual([first]);
  });
});
