// The iptables backend in front of a real Docker container: the endpoint is this machine's own
// address and the container's published host port, as in a Bramble cluster. Our DNAT in nat
// PREROUTING/OUTPUT runs before Docker's DOCKER chain and ends that chain's NAT for the
// connection, so the packet reaches hostIP:hostPort as a local destination and docker-proxy
// (listening on the published port) carries it into the container.
//
// This needs Docker's own rules, so it runs in the host's tables — with a chain prefix and a
// mark bit of its own (a Bramble proxy running on this machine is never touched) and removed in
// finally. The client namespace hangs off a veth with a private address on this machine.
import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { IptablesProxy } from '../../src/proxy/iptables/proxy.js';
import type { ServicePortEntry } from '../../src/proxy/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { describeDocker, testImage } from '../helpers/docker.js';
import { connectFrom, sh } from '../helpers/netns.js';
import { describeIptables } from '../helpers/root.js';

const tag = randomBytes(2).toString('hex').toUpperCase();
const prefix = `BRT${tag}-`;
const x = 1 + (randomBytes(1)[0]! % 250);
const hostIP = `10.215.${x}.1`;
const clientIP = `10.215.${x}.2`;
const clusterIP = `10.96.200.${x}`;
const ns = `bramble-ipt-${tag.toLowerCase()}-d`;
const container = `bramble-ipt-${tag.toLowerCase()}`;
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function setUp(): Promise<number> {
  cleanups.push(() => sh(['ip', 'netns', 'del', ns]));
  await sh(['ip', 'netns', 'add', ns]);
  cleanups.push(() => sh(['ip', 'link', 'del', `bd${tag}h`]));
  await sh(['ip', 'link', 'add', `bd${tag}h`, 'type', 'veth', 'peer', 'name', `bd${tag}c`]);
  await sh(['ip', 'link', 'set', `bd${tag}c`, 'netns', ns]);
  await sh(['ip', 'addr', 'add', `${hostIP}/24`, 'dev', `bd${tag}h`]);
  await sh(['ip', 'link', 'set', `bd${tag}h`, 'up']);
  await sh(['ip', '-n', ns, 'addr', 'add', `${clientIP}/24`, 'dev', `bd${tag}c`]);
  await sh(['ip', '-n', ns, 'link', 'set', `bd${tag}c`, 'up']);
  await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  await sh(['ip', '-n', ns, 'route', 'add', 'default', 'via', hostIP]);
  cleanups.push(() => sh(['docker', 'rm', '-f', container]));
  // httpd answers with the file; -p 8080 publishes on a free host port on every address.
  await sh(['docker', 'run', '-d', '--name', container, '-p', '8080/tcp', testImage, 'sh', '-c',
    'mkdir -p /www && echo hello-from-docker > /www/index.html && exec httpd -f -p 8080 -h /www']);
  const port = (await sh(['docker', 'port', container, '8080/tcp'])).split('\n')[0]!.split(':').pop()!;
  return Number(port);
}

// An HTTP GET with node (the host's busybox wget crashes here); prints the body.
const getScript = `require('http').get(process.argv[1], { timeout: 5000 }, (r) => { let d = ''; r.on('data', (b) => d += b); r.on('end', () => console.log(d.trim())); }).on('error', (e) => console.log('ERR:' + e.code));`;
const httpGet = (prefix: string[], url: string): Promise<string> => sh([...prefix, process.execPath, '-e', getScript, url]).then((o) => o.trim());
/** From inside a container on docker0, with busybox nc. */
const fromContainer = (): Promise<string> => sh(['docker', 'run', '--rm', testImage, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${clusterIP} 80`]).then((o) => o.trim().split('\n').pop()!.trim());

describeIptables('iptables proxy with a Docker endpoint (host tables, own prefix)', () => {
  describeDocker('docker', () => {
    it('ClusterIP and NodePort reach a container published on this node: from a process here, from another namespace and from a container', async () => {
      const hostPort = await setUp();
      const proxy = new IptablesProxy({ logger: silentLogger(), chainPrefix: prefix, markBit: 0x40000, counterIntervalMs: 0 });
      try {
        await proxy.start();
        const entry: ServicePortEntry = {
          key: `default/docker-${tag}:`, namespace: 'default', service: `docker-${tag}`, portName: '', protocol: 'TCP',
          clusterIP, port: 80, nodePort: 30000 + x, externalIPs: [], endpoints: [{ ip: hostIP, port: hostPort }],
        };
        await proxy.sync({ ports: [entry] });
        expect(await httpGet([], `http://${clusterIP}/`)).toBe('hello-from-docker');
        expect(await httpGet(['ip', 'netns', 'exec', ns], `http://${clusterIP}/`)).toBe('hello-from-docker');
        expect(await fromContainer()).toBe('hello-from-docker');
        expect(await httpGet(['ip', 'netns', 'exec', ns], `http://${hostIP}:${30000 + x}/`)).toBe('hello-from-docker');
        await proxy.refreshCounters();
        expect(proxy.counters()[0]!.connections).toBe(4);
        // No endpoints: refused at once, from here and from the namespace.
        await proxy.sync({ ports: [{ ...entry, endpoints: [] }] });
        expect(await connectFrom(ns, 'tcp', clusterIP, 80, 1)).toEqual(['ERR:ECONNREFUSED']);
      } finally {
        await proxy.stop();
      }
      expect(await sh(['iptables-save'])).not.toContain(prefix);
    }, 90_000);
  });
});
