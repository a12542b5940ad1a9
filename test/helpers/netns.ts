// Throwaway network namespaces for proxy tests and benches: a "node" namespace (where the proxy
// programs iptables), a "client" namespace on one veth link and a "remote" namespace (another
// node) on a second one. The remote has no route to the client's link, so a reply from it
// only comes back if the node masqueraded the connection. Nothing touches the host's rules.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { commandRunner, runChecked } from '../../src/proxy/iptables/runner.js';

export interface Topology {
  node: string;
  client: string;
  remote: string;
  /** The node's address on the client link (NodePorts are reached here). */
  nodeIP: string;
  clientIP: string;
  /** The node's address on the remote link. */
  nodeRemoteIP: string;
  remoteIP: string;
  /** Kills what was started in the namespaces and deletes them. */
  cleanup(): Promise<void>;
  /** Runs a long-lived process in a namespace (killed by cleanup). */
  spawnIn(ns: string, argv: string[]): ChildProcess;
}

const run = commandRunner();
export const sh = (argv: string[], input?: string): Promise<string> => runChecked(run, argv, input);
export const inNs = (ns: string, argv: string[], input?: string): Promise<string> => sh(['ip', 'netns', 'exec', ns, ...argv], input);

/** Clusters of 10.213.X.0/24 (client link) and 10.214.X.0/24 (remote link), X random. */
export async function makeTopology(opts: { forwardDrop?: boolean } = {}): Promise<Topology> {
  const tag = randomBytes(3).toString('hex');
  const x = 1 + (randomBytes(1)[0]! % 250);
  const ns = { node: `bramble-ipt-${tag}-n`, client: `bramble-ipt-${tag}-c`, remote: `bramble-ipt-${tag}-r` };
  const children: ChildProcess[] = [];
  const topo: Topology = {
    ...ns,
    nodeIP: `10.213.${x}.1`, clientIP: `10.213.${x}.2`, nodeRemoteIP: `10.214.${x}.1`, remoteIP: `10.214.${x}.2`,
    async cleanup() {
      for (const c of children) if (c.exitCode === null && c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
      for (const n of Object.values(ns)) await run(['ip', 'netns', 'del', n]);
    },
    spawnIn(n, argv) {
      const c = spawn('ip', ['netns', 'exec', n, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(c);
      return c;
    },
  };
  try {
    for (const n of Object.values(ns)) {
      await sh(['ip', 'netns', 'add', n]);
      await sh(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
    }
    await link(ns.node, `bi${tag}c`, `${topo.nodeIP}/24`, ns.client, `bi${tag}C`, `${topo.clientIP}/24`);
    await link(ns.node, `bi${tag}r`, `${topo.nodeRemoteIP}/24`, ns.remote, `bi${tag}R`, `${topo.remoteIP}/24`);
    await sh(['ip', '-n', ns.client, 'route', 'add', 'default', 'via', topo.nodeIP]);
    // Locally generated traffic to a ClusterIP needs a route before the OUTPUT DNAT (a default route does).
    await sh(['ip', '-n', ns.node, 'route', 'add', '10.96.0.0/12', 'dev', `bi${tag}c`]);
    await inNs(ns.node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // As Docker leaves it on a real node.
    if (opts.forwardDrop ?? true) await inNs(ns.node, ['iptables', '-P', 'FORWARD', 'DROP']);
  } catch (err) {
    await topo.cleanup();
    throw err;
  }
  return topo;
}

async function link(nsA: string, ifA: string, addrA: string, nsB: string, ifB: string, addrB: string): Promise<void> {
  await sh(['ip', 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
  await sh(['ip', 'link', 'set', ifA, 'netns', nsA]);
  await sh(['ip', 'link', 'set', ifB, 'netns', nsB]);
  await sh(['ip', '-n', nsA, 'addr', 'add', addrA, 'dev', ifA]);
  await sh(['ip', '-n', nsB, 'addr', 'add', addrB, 'dev', ifB]);
  await sh(['ip', '-n', nsA, 'link', 'set', ifA, 'up']);
  await sh(['ip', '-n', nsB, 'link', 'set', ifB, 'up']);
}

// TCP servers answer "<name> <client address>\n" and close; UDP servers answer "<name>".
const serverScript = `
const net = require('net'), dgram = require('dgram');
const specs = JSON.parse(process.argv[1]);
let pending = specs.length;
const up = () => { if (--pending === 0) console.log('ready'); };
for (const s of specs) {
  if (s.udp) { const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(s.name, r.port, r.address)); u.bind(s.port, s.host, up); }
  else net.createServer((c) => { c.on('error', () => {}); c.end(s.name + ' ' + c.remoteAddress + '\\n'); }).listen(s.port, s.host, up);
}`;

export interface ServerSpec { host: string; port: number; name: string; udp?: boolean }

/** Starts named TCP/UDP servers in a namespace; resolves once they listen. */
export async function startServers(topo: Topology, ns: string, specs: ServerSpec[]): Promise<ChildProcess> {
  const c = topo.spawnIn(ns, [process.execPath, '-e', serverScript, JSON.stringify(specs)]);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    c.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    c.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('ready')) resolve(); });
    c.on('exit', (code) => reject(new Error(`servers in ${ns} exited ${code}: ${err}`)));
  });
  return c;
}

// Prints a JSON array: per attempt the server's answer, or "ERR:<code>".
const clientScript = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, count, localPort] = process.argv.slice(1);
const out = [];
const tcp = () => new Promise((res) => { let d = ''; const s = net.connect(+port, host);
  s.setTimeout(3000, () => { s.destroy(); res('ERR:TIMEOUT'); });
  s.on('data', (b) => d += b); s.on('end', () => res(d.trim())); s.on('error', (e) => res('ERR:' + e.code)); });
const udp = () => new Promise((res) => { const u = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const t = setTimeout(() => { u.close(); res('ERR:TIMEOUT'); }, 2000);
  u.on('error', (e) => { clearTimeout(t); u.close(); res('ERR:' + e.code); });
  u.on('message', (m) => { clearTimeout(t); u.close(); res(m.toString()); });
  u.bind(+localPort || 0, () => u.send('x', +port, host)); });
(async () => { for (let i = 0; i < +count; i++) out.push(await (proto === 'udp' ? udp() : tcp())); console.log(JSON.stringify(out)); })();`;

/** Connects `count` times (one after the other) from a namespace; the answers (names) or ERR:<code>. */
export async function connectFrom(ns: string, proto: 'tcp' | 'udp', host: string, port: number, count: number, localPort = 0): Promise<string[]> {
  const out = await inNs(ns, [process.execPath, '-e', clientScript, proto, host, String(port), String(count), String(localPort)]);
  return JSON.parse(out) as string[];
}
