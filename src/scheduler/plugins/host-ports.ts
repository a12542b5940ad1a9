// NodePorts (filter): a hostPort can be held by one pod per (hostIP, protocol, port) on a
// node; 0.0.0.0 (every address) collides with any address on the same port and protocol.
import { fits, type FilterPlugin, type HostPort, type NodeInfo } from '../types.js';

function collides(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0';
}

function portsInUse(ni: NodeInfo): HostPort[] {
  const out: HostPort[] = [];
  for (const p of ni.pods.values()) out.push(...p.hostPorts);
  return out;
}

export const hostPorts: FilterPlugin = {
  name: 'NodePorts',
  skip: (pod) => pod.hostPorts.length === 0,
  filter: (pod, ni) => {
    if (pod.hostPorts.length === 0) return fits;
    const used = portsInUse(ni);
    const clash = pod.hostPorts.some((want) => used.some((u) => collides(want, u)));
    return clash ? { ok: false, reasons: ["node(s) didn't have free ports for the requested pod ports"] } : fits;
  },
};
