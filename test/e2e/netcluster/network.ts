// The private link of a NetCluster run: one L2 segment, a.b.c.0/24, with the gateway (the
// master) at .1 in a namespace of its own, worker i at .(10+i), each in its own namespace, and
// the test process (host namespace) at .254, a plain client on the LAN.
//
//   host namespace                    hub namespace (bramble-nc-<id>-hub)     other namespaces
//   brnc<id> a.b.c.254/24 ─veth─ host ┐
//                                     ├─ br0 (bridge)
//                              gw ────┤ ─────veth───── eth0 a.b.c.1/24   (bramble-nc-<id>-gw: master)
//                              w1 ────┤ ─────veth───── eth0 a.b.c.11/24  (bramble-nc-<id>-w1)
//                              w2 ────┘ ─────veth───── eth0 a.b.c.12/24  (bramble-nc-<id>-w2)
//
// Why the bridge is in a namespace of its own and not in the host's: with Docker running, the
// host has br_netfilter loaded (bridge-nf-call-iptables=1) and the FORWARD policy DROP, so
// frames bridged between two workers would go through the host's FORWARD chain and be dropped.
// Making it pass would mean adding rules to the host's iptables; in the hub namespace
// FORWARD is empty and ACCEPTs, and the host's rules are never touched.
// Why the master is in a namespace of its own: its service proxy (iptables mode) programs the
// packet filter of the namespace it runs in, and forwards NodePort traffic to the workers (the
// namespace has ip_forward=1, as a gateway routing its LAN would); there it changes nothing of
// the host's, and deleting the namespace removes every rule even after a crash.
// Each namespace has lo up and only the connected route of the link: no route beyond it.
import { must, run } from './sys.js';
import { names } from './run-state.js';

export interface Link {
  net: string;
  /** The master's address (in gatewayNs). */
  gatewayIP: string;
  /** The test process's own address on the link (host namespace). */
  hostIP: string;
  hubNs: string;
  gatewayNs: string;
  hostLink: string;
}

export interface WorkerLink {
  name: string;
  ns: string;
  ip: string;
  /** The worker's veth end in the hub namespace (down = the worker is cut off). */
  hubPort: string;
}

const ip = (args: string[]): Promise<string> => must('ip', args, { timeoutMs: 10_000 });

export async function createLink(id: string, net: string): Promise<Link> {
  const hubNs = names.hubNs(id);
  const gatewayNs = names.gatewayNs(id);
  const hostLink = names.hostLink(id);
  const gatewayIP = `${net}.1`;
  const hostIP = `${net}.254`;
  await ip(['netns', 'add', hubNs]);
  await ip(['-n', hubNs, 'link', 'set', 'lo', 'up']);
  await ip(['-n', hubNs, 'link', 'add', 'br0', 'type', 'bridge']);
  await ip(['-n', hubNs, 'link', 'set', 'br0', 'up']);
  // The test process's port on the link.
  await ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'host', 'netns', hubNs]);
  await ip(['-n', hubNs, 'link', 'set', 'host', 'master', 'br0', 'up']);
  await ip(['addr', 'add', `${hostIP}/24`, 'dev', hostLink]);
  await ip(['link', 'set', hostLink, 'up']);
  // The gateway: the master's namespace, forwarding like a router (iptables mode DNATs NodePorts to workers).
  await ip(['netns', 'add', gatewayNs]);
  await ip(['-n', gatewayNs, 'link', 'set', 'lo', 'up']);
  await ip(['-n', hubNs, 'link', 'add', 'gw', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', gatewayNs]);
  await ip(['-n', hubNs, 'link', 'set', 'gw', 'master', 'br0', 'up']);
  await ip(['-n', gatewayNs, 'addr', 'add', `${gatewayIP}/24`, 'dev', 'eth0']);
  await ip(['-n', gatewayNs, 'link', 'set', 'eth0', 'up']);
  await must('nsenter', [`--net=/run/netns/${gatewayNs}`, '--', 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { timeoutMs: 10_000 });
  return { net, gatewayIP, hostIP, hubNs, gatewayNs, hostLink };
}

export async function addWorker(id: string, link: Link, name: string, index: number): Promise<WorkerLink> {
  const ns = names.workerNs(id, name);
  const addr = `${link.net}.${10 + index}`;
  await ip(['netns', 'add', ns]);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', link.hubNs, 'link', 'add', name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await ip(['-n', link.hubNs, 'link', 'set', name, 'master', 'br0', 'up']);
  await ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  return { name, ns, ip: addr, hubPort: name };
}

/** Take the worker's port on the link down or up: its eth0 loses carrier, as when a Wi-Fi link drops. */
export async function setWorkerLink(link: Link, w: WorkerLink, up: boolean): Promise<void> {
  await ip(['-n', link.hubNs, 'link', 'set', w.hubPort, up ? 'up' : 'down']);
}

/** Is this address answering on the link? (Used to wait for an address to be usable.) */
export async function linkState(link: Link, w: WorkerLink): Promise<string> {
  const r = await run('ip', ['-n', link.hubNs, '-o', 'link', 'show', w.hubPort]);
  return r.stdout.match(/state (\S+)/)?.[1] ?? 'UNKNOWN';
}
