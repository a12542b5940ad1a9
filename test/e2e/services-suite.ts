// Services end to end on a real multi-node cluster (test/e2e/netcluster), the same suite for
// each proxy mode (services-userspace.e2e.test.ts, services-iptables.e2e.test.ts): the mode is
// forced on every agent and on the master (the gateway's proxy, in its own namespace).
//
// Two replicas of a busybox httpd (each answering with its pod name) and a UDP echo, one per
// worker; a NodePort Service for each. A LAN client (the test process, on the link) calls the
// NodePorts of both workers and of the gateway; a pod on a worker calls the ClusterIP through
// its environment variables; a server pod is deleted under continuous traffic; a worker is
// cut off the link and comes back.
import { expect, it } from 'vitest';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { describeNetCluster } from '../helpers/netcluster.js';
import { testImage } from '../helpers/docker.js';
import { until } from '../helpers/poll.js';
import type { NetCluster } from './netcluster/index.js';
import { buildUdpEcho } from './netcluster/udp.js';
import { useNetCluster } from './netcluster/vitest.js';

const podRt = resourceByKind('v1', 'Pod') as ResourceType;
const endpointsRt = resourceByKind('v1', 'Endpoints') as ResourceType;
const serviceRt = resourceByKind('v1', 'Service') as ResourceType;

export type Mode = 'userspace' | 'iptables';

// Fixed host ports: two replicas can never share a node (the scheduler's NodePorts filter), so
// they land one per worker. Outside the NodePort and proxy port ranges.
const httpHostPort = 18080;
const udpHostPort = 19000;
const httpNodePort = 30080;
const udpNodePort = 30090;

interface Address { ip: string; nodeName?: string; targetRef?: { name?: string } }
interface Subset { addresses?: Address[]; notReadyAddresses?: Address[] }
type Endpoints = KObject & { subsets?: Subset[] };
type Pod = KObject & { spec: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };
type Service = KObject & { spec?: { clusterIP?: string }; status?: { proxyPorts?: { port: number; protocol?: string; proxyPort: number }[] } };

function manifest(udpEcho: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      # Stay on a node that lost its link (the partition test brings it back): no eviction.
      tolerations:
        - { key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 3600 }
      volumes:
        - { name: udp-echo, hostPath: { path: ${udpEcho}, type: File } }
      containers:
        - name: httpd
          image: ${testImage}
          imagePullPolicy: Never
          command: ["sh", "-c", "echo $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www"]
          ports: [{ name: http, containerPort: 8080, hostPort: ${httpHostPort} }]
          readinessProbe:
            httpGet: { path: /index.html, port: 8080 }
            periodSeconds: 1
        - name: echo
          image: ${testImage}
          imagePullPolicy: Never
          command: ["/bin/udp-echo", "serve", "9000"]
          ports: [{ name: echo, containerPort: 9000, protocol: UDP, hostPort: ${udpHostPort} }]
          volumeMounts: [{ name: udp-echo, mountPath: /bin/udp-echo, readOnly: true }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http, nodePort: ${httpNodePort} }]
---
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ name: echo, port: 9000, protocol: UDP, targetPort: echo, nodePort: ${udpNodePort} }]
`;
}

/** A client pod on `node`: its WEB_/ECHO_ variables, then 10 HTTP GETs and 6 UDP echoes through them, one per line. */
function clientPod(name: string, node: string, udpEcho: string): string {
  const script = [
    'env | grep -E "^(WEB|ECHO)_SERVICE_(HOST|PORT)=" | sort',
    // Started before its node knew the Services (cannot happen after the NodePort test, but be sure): try again.
    '[ -n "$WEB_SERVICE_HOST" ] && [ -n "$ECHO_SERVICE_HOST" ] || { echo "no service variables"; exit 1; }',
    'i=0; while [ $i -lt 10 ]; do echo "http $(wget -qO- http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/ || echo FAILED)"; i=$((i+1)); done',
    'i=0; while [ $i -lt 6 ]; do echo "udp $(/bin/udp-echo send $ECHO_SERVICE_HOST $ECHO_SERVICE_PORT ping-$i 2000 || echo FAILED)"; i=$((i+1)); done',
    'echo DONE; exec sleep 3600',
  ].join('\n');
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      nodeName: node, restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'udp-echo', hostPath: { path: udpEcho, type: 'File' } }],
      containers: [{ name: 'client', image: testImage, imagePullPolicy: 'Never', command: ['sh', '-c', script], volumeMounts: [{ name: 'udp-echo', mountPath: '/bin/udp-echo', readOnly: true }] }],
    },
  });
}

interface Sample { at: number; ok: boolean; body: string }

/** Requests in a loop until stopped: what a client on the LAN sees while something happens. */
class Poller {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly send: () => Promise<string>, everyMs = 100) {
    this.done = (async () => {
      while (this.running) {
        const at = Date.now();
        try {
          this.samples.push({ at, ok: true, body: (await this.send()).trim() });
        } catch (err) {
          this.samples.push({ at, ok: false, body: (err as Error).message.split('\n')[0]! });
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<Sample[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }

  static failures(samples: Sample[], from = 0, to = Infinity): Sample[] {
    return samples.filter((s) => !s.ok && s.at >= from && s.at < to);
  }
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function servicesSuite(mode: Mode): void {
  describeNetCluster(`Services across a real multi-node cluster, proxy mode ${mode} on every node and the gateway`, () => {
    const cluster = useNetCluster({ workers: 2, agentArgs: ['--proxy-mode', mode], masterArgs: ['--proxy-mode', mode] });
    let udpEcho = '';

    const c = (): NetCluster => cluster();
    const webPods = async (): Promise<Pod[]> => (await c().api.list<Pod>(podRt, 'default', { labelSelector: 'app=web' })).items;
    const isReady = (p: Pod): boolean => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
    const readyEndpoints = async (name: string): Promise<Address[]> => {
      const ep = await c().api.get<Endpoints>(endpointsRt, 'default', name).catch(() => undefined);
      return (ep?.subsets ?? []).flatMap((s) => s.addresses ?? []);
    };
    const notReadyEndpoints = async (name: string): Promise<Address[]> => {
      const ep = await c().api.get<Endpoints>(endpointsRt, 'default', name).catch(() => undefined);
      return (ep?.subsets ?? []).flatMap((s) => s.notReadyAddresses ?? []);
    };
    /** One HTTP GET of the web Service's NodePort on `ip`, from the LAN client (the test process's namespace). */
    const getNodePort = (ip: string, timeoutMs = 2000): Promise<string> => c().httpGet('host', `http://${ip}:${httpNodePort}/`, timeoutMs).then((b) => b.trim());
    const udpSend = async (where: string, ip: string, port: number, msg: string): Promise<string> => {
      const r = await c().exec(where, [udpEcho, 'send', ip, String(port), msg, '1500'], 5000);
      if (r.code !== 0) throw new Error(`udp ${ip}:${port} from ${where}: ${r.stderr.trim()}`);
      return r.stdout.trim();
    };
    const targets = (): { name: string; ip: string }[] => [...c().workers.map((w) => ({ name: w.name, ip: w.ip })), { name: 'gateway', ip: c().gatewayIP }];

    /** Both web pods Running and Ready, one per worker, and both in the Endpoints of both Services. */
    const waitServing = async (timeoutMs = 60_000): Promise<Pod[]> => {
      const pods = await until('2 web pods Running and Ready', async () => {
        const ready = (await webPods()).filter((p) => isReady(p) && p.metadata.deletionTimestamp === undefined);
        return ready.length === 2 ? ready : undefined;
      }, timeoutMs, 250);
      await until('both pods in the Endpoints of web and echo', async () => ((await readyEndpoints('web')).length === 2 && (await readyEndpoints('echo')).length === 2 ? true : undefined), 30_000, 250);
      return pods;
    };

    it('answers on the web NodePort of every worker and of the gateway, from both replicas', async () => {
      const t0 = Date.now();
      udpEcho = await buildUdpEcho(c().dir);
      const applied = await c().cli(['apply', '-f', '-'], manifest(udpEcho));
      expect(applied.stderr).toBe('');
      const pods = await waitServing();
      expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['w1', 'w2']);
      const names = pods.map((p) => p.metadata.name!).sort();
      console.log(`[${mode}] both replicas serving ${secs(Date.now() - t0)} after apply`);

      for (const t of targets()) {
        // The node's proxy learns the endpoints a moment after the API has them.
        const t1 = Date.now();
        await until(`${t.name}:${httpNodePort} answering`, () => getNodePort(t.ip), 20_000, 200);
        const seen: string[] = [];
        for (let i = 0; i < 12; i++) seen.push(await getNodePort(t.ip, 5000));
        console.log(`[${mode}] NodePort on ${t.name}: first answer after ${secs(Date.now() - t1)}, 12/12 answered: ${[...new Set(seen)].map((n) => `${n}×${seen.filter((x) => x === n).length}`).join(' ')}`);
        expect([...new Set(seen)].sort()).toEqual(names);
      }

      // The gateway's proxy works in the master's namespace; the host's packet filter has
      // nothing of this run (no rule names the link's addresses). (Other Bramble processes on
      // the host, a bench say, may have chains there: only this run's are looked for.)
      const gatewayNat = await c().exec('gateway', ['iptables-save', '-t', 'nat']);
      const hostNat = await c().exec('host', ['iptables-save', '-t', 'nat']);
      expect(hostNat.code).toBe(0);
      expect(hostNat.stdout).not.toContain(`${c().link.net}.`);
      if (mode === 'iptables') expect(gatewayNat.stdout).toMatch(new RegExp(`-A BRAMBLE-SEP-\\S+ .*--to-destination ${c().link.net}\\.11:${httpHostPort}`));
      else expect(gatewayNat.stdout).not.toContain('BRAMBLE-');
    }, 150_000);

    it('echoes UDP through the echo NodePort of every worker and of the gateway, from both replicas', async () => {
      const names = (await webPods()).map((p) => p.metadata.name!).sort();
      for (const t of targets()) {
        await until(`udp ${t.name}:${udpNodePort} answering`, () => udpSend('host', t.ip, udpNodePort, 'hello'), 20_000, 200);
        const seen: string[] = [];
        for (let i = 0; i < 12; i++) {
          const answer = await udpSend('host', t.ip, udpNodePort, `m${i}`);
          const [from, msg] = answer.split(' ');
          expect(msg).toBe(`m${i}`);
          seen.push(from!);
        }
        console.log(`[${mode}] UDP NodePort on ${t.name}: 12/12 echoed: ${[...new Set(seen)].map((n) => `${n}×${seen.filter((x) => x === n).length}`).join(' ')}`);
        expect([...new Set(seen)].sort()).toEqual(names);
      }
    }, 90_000);

    it('a pod on a worker reaches both Services through its environment variables (HTTP and UDP)', async () => {
      const names = (await webPods()).map((p) => p.metadata.name!).sort();
      const created = await c().cli(['apply', '-f', '-'], clientPod('client', 'w2', udpEcho));
      expect(created.stderr).toBe('');
      const log = await until('the client pod\'s requests done', async () => {
        const r = await c().cli(['logs', 'client']);
        return r.stdout.includes('DONE') ? r.stdout : undefined;
      }, 60_000, 500);
      console.log(`[${mode}] client pod on w2:\n${log.trim()}`);
      const lines = log.trim().split('\n');
      const vars = Object.fromEntries(lines.filter((l) => l.includes('_SERVICE_')).map((l) => l.split('=') as [string, string]));

      const web = await c().api.get<Service>(serviceRt, 'default', 'web');
      const echo = await c().api.get<Service>(serviceRt, 'default', 'echo');
      if (mode === 'iptables') {
        expect(vars).toEqual({ WEB_SERVICE_HOST: web.spec?.clusterIP, WEB_SERVICE_PORT: '80', ECHO_SERVICE_HOST: echo.spec?.clusterIP, ECHO_SERVICE_PORT: '9000' });
      } else {
        // The node's proxy on its Docker bridge gateway, at the ports' proxy ports.
        expect(vars).toEqual({
          WEB_SERVICE_HOST: '172.17.0.1', WEB_SERVICE_PORT: String(web.status?.proxyPorts?.[0]?.proxyPort),
          ECHO_SERVICE_HOST: '172.17.0.1', ECHO_SERVICE_PORT: String(echo.status?.proxyPorts?.[0]?.proxyPort),
        });
      }
      const http = lines.filter((l) => l.startsWith('http ')).map((l) => l.slice(5));
      expect(http).toHaveLength(10);
      expect(http.filter((b) => b === 'FAILED')).toEqual([]);
      // Both replicas, so across nodes too (one of them is on w1).
      expect([...new Set(http)].sort()).toEqual(names);
      const udp = lines.filter((l) => l.startsWith('udp ')).map((l) => l.slice(4));
      expect(udp).toHaveLength(6);
      expect(udp.filter((b) => b === 'FAILED')).toEqual([]);
      expect(udp.map((u) => u.split(' ')[1])).toEqual([0, 1, 2, 3, 4, 5].map((i) => `ping-${i}`));
      expect(udp.every((u) => names.includes(u.split(' ')[0]!))).toBe(true);
      await c().cli(['delete', 'pod', 'client']);
    }, 120_000);

    it('keeps answering while a server pod is deleted and replaced', async () => {
      const before = await webPods();
      const victim = before.find((p) => p.spec.nodeName === 'w1')!;
      const survivor = before.find((p) => p.spec.nodeName === 'w2')!;
      // A LAN client on w1's NodePort (the victim's node) and on the gateway's.
      const pollers = { w1: new Poller(() => getNodePort(c().worker('w1').ip)), gateway: new Poller(() => getNodePort(c().gatewayIP)) };
      await new Promise((r) => setTimeout(r, 1000));
      const deletedAt = Date.now();
      await c().api.delete(podRt, 'default', victim.metadata.name!);
      await until('the deleted pod out of the Endpoints', async () => ((await readyEndpoints('web')).some((a) => a.targetRef?.name === victim.metadata.name) ? undefined : true), 20_000, 100);
      const leftEndpointsAfter = Date.now() - deletedAt;
      const pods = await waitServing(60_000);
      const replacement = pods.find((p) => p.metadata.name !== survivor.metadata.name)!;
      const replacedAfter = Date.now() - deletedAt;
      // Traffic reaches the new pod too, and the old one no more.
      await until('the replacement answering on both NodePorts', async () => {
        const seen = new Set(pollers.w1.samples.concat(pollers.gateway.samples).filter((s) => s.ok && s.at > deletedAt + replacedAfter).map((s) => s.body));
        return seen.has(replacement.metadata.name!) ? true : undefined;
      }, 20_000, 200);
      await new Promise((r) => setTimeout(r, 2000));
      const settledAt = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      const w1 = await pollers.w1.stop();
      const gw = await pollers.gateway.stop();
      for (const [name, samples] of [['w1', w1], ['gateway', gw]] as const) {
        const failed = Poller.failures(samples);
        const answeredByVictim = samples.filter((s) => s.ok && s.body === victim.metadata.name && s.at > deletedAt);
        console.log(`[${mode}] pod deletion, NodePort on ${name}: ${samples.length} requests, ${failed.length} failed${failed.length ? ` (at +${failed.map((f) => secs(f.at - deletedAt)).join(', +')}: ${failed[0]!.body})` : ''}; deleted pod answered ${answeredByVictim.length} after its deletion; it left the Endpoints after ${secs(leftEndpointsAfter)}, replacement Ready after ${secs(replacedAfter)}`);
        // Once everything settled, every request is answered, by the two live pods only.
        const late = samples.filter((s) => s.at >= settledAt);
        expect(late.length).toBeGreaterThan(3);
        expect(late.filter((s) => !s.ok)).toEqual([]);
        expect(new Set(late.map((s) => s.body))).toEqual(new Set([survivor.metadata.name!, replacement.metadata.name!]));
        if (mode === 'userspace') {
          // A connect to the stopped pod fails over to the other endpoint: the client sees nothing.
          expect(failed).toEqual([]);
        } else {
          // The kernel's DNAT cannot retry: a connection that races the rule update to the
          // stopping pod fails (refused: its ports are being unpublished). Only until the
          // proxies applied the Endpoints without it (a few seconds' slack), and at most a few.
          expect(failed.length).toBeLessThanOrEqual(5);
          expect(failed.every((f) => f.at < deletedAt + leftEndpointsAfter + 3000)).toBe(true);
        }
      }
    }, 120_000);

    it('partition: a cut-off worker\'s endpoints leave the Services, traffic goes to the other; back on the link it resyncs with no container restarted', async () => {
      const cl = c();
      const w1 = cl.worker('w1');
      const w2 = cl.worker('w2');
      const pods = await webPods();
      const w1Pod = pods.find((p) => p.spec.nodeName === 'w1')!.metadata.name!;
      const w2Pod = pods.find((p) => p.spec.nodeName === 'w2')!.metadata.name!;
      const containersBefore = await cl.containerRestarts('w1');
      expect(containersBefore.filter((x) => x.pod === w1Pod && !x.sandbox)).toHaveLength(2);
      const uidsBefore = pods.map((p) => p.metadata.uid).sort();

      const pollers = { w2: new Poller(() => getNodePort(w2.ip)), gateway: new Poller(() => getNodePort(cl.gatewayIP)) };
      const cut = Date.now();
      await cl.linkDown('w1');
      await until('w1 Ready=Unknown', async () => ((await cl.nodeReady('w1')) === 'Unknown' ? true : undefined), 90_000, 250);
      const unknownAt = Date.now();
      await until('w1 out of the ready endpoints of web and echo', async () => {
        const [web, echo, nr] = [await readyEndpoints('web'), await readyEndpoints('echo'), await notReadyEndpoints('web')];
        return web.every((a) => a.ip !== w1.ip) && echo.every((a) => a.ip !== w1.ip) && nr.some((a) => a.ip === w1.ip) ? true : undefined;
      }, 30_000, 250);
      const goneAt = Date.now();
      // Give the proxies a moment to apply it, then every request must be answered, by w2's pod.
      await new Promise((r) => setTimeout(r, 2000));
      const cleanFrom = Date.now();
      await new Promise((r) => setTimeout(r, 3000));
      expect(await udpSend('host', w2.ip, udpNodePort, 'during')).toBe(`${w2Pod} during`);
      expect(await udpSend('host', cl.gatewayIP, udpNodePort, 'during')).toBe(`${w2Pod} during`);
      // Edge autonomy: the cut-off replica keeps running and serving on its own node.
      expect(await cl.httpGet('w1', `http://${w1.ip}:${httpHostPort}/`)).toBe(`${w1Pod}\n`);

      // Heal once the broker dropped w1's silent connection: the agent reconnects and resyncs
      // (a link back before that, the short partition, is netcluster.e2e.test.ts's).
      await until('the broker dropped w1\'s connection', async () => ((await cl.mqttConnected('w1')) ? undefined : true), 60_000, 250);
      const droppedAt = Date.now();
      const restored = Date.now();
      await cl.linkUp('w1');
      await until('w1 Ready again', async () => ((await cl.nodeReady('w1')) === 'True' ? true : undefined), 60_000, 250);
      const readyAt = Date.now();
      await until('w1 back in the endpoints of web and echo', async () => ((await readyEndpoints('web')).length === 2 && (await readyEndpoints('echo')).length === 2 ? true : undefined), 30_000, 250);
      const backAt = Date.now();
      await until('w1\'s pod answering on w2\'s NodePort again', async () => (pollers.w2.samples.some((s) => s.ok && s.body === w1Pod && s.at > backAt) ? true : undefined), 20_000, 200);
      const w2Samples = await pollers.w2.stop();
      const gwSamples = await pollers.gateway.stop();

      for (const [name, samples] of [['w2', w2Samples], ['gateway', gwSamples]] as const) {
        const before = Poller.failures(samples, cut, goneAt);
        const after = Poller.failures(samples, cleanFrom);
        console.log(`[${mode}] partition, NodePort on ${name}: ${samples.length} requests; failed before w1's endpoints left ${before.length}/${samples.filter((s) => s.at >= cut && s.at < goneAt).length}, in the 2 s after ${Poller.failures(samples, goneAt, cleanFrom).length}, after that ${after.length}/${samples.filter((s) => s.at >= cleanFrom).length}`);
        // Once the endpoints are gone every request is answered (by w2's pod until w1 is back).
        expect(after).toEqual([]);
        expect(samples.filter((s) => s.at >= cleanFrom && s.at < restored).every((s) => s.body === w2Pod)).toBe(true);
        // Userspace mode fails over from an endpoint that does not answer the connect (1 s), so
        // not even the window before the endpoints left costs a request.
        if (mode === 'userspace') expect(before).toEqual([]);
      }
      console.log(`[${mode}] partition timings: cut → Unknown ${secs(unknownAt - cut)}, → w1 out of the endpoints ${secs(goneAt - cut)}, → broker dropped the connection ${secs(droppedAt - cut)}; link back → w1 Ready ${secs(readyAt - restored)}, → endpoints whole ${secs(backAt - restored)}`);

      // Nothing was restarted or replaced: same pods, same containers, same start times.
      expect((await webPods()).map((p) => p.metadata.uid).sort()).toEqual(uidsBefore);
      expect(await cl.containerRestarts('w1')).toEqual(containersBefore);
      expect(await udpSend('host', w1.ip, udpNodePort, 'after')).toMatch(/^web-\S+ after$/);
    }, 240_000);
  }, { commands: mode === 'iptables' ? ['cc', 'iptables'] : ['cc'] });
}
