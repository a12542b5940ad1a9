// Multi-node for real: a master on the gateway address and two agents, each in its own network
// namespace with its own address and Docker Engine (test/e2e/netcluster). Registration, a
// Deployment spread over both workers with Endpoints at hostIP:hostPort reachable across
// nodes, and a partition (one worker's link down and up again).
import { expect, it } from 'vitest';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { describeNetCluster } from '../helpers/netcluster.js';
import { testImage } from '../helpers/docker.js';
import { until } from '../helpers/poll.js';
import { nodeRt } from './netcluster/index.js';
import { useNetCluster } from './netcluster/vitest.js';

const podRt = resourceByKind('v1', 'Pod') as ResourceType;
const endpointsRt = resourceByKind('v1', 'Endpoints') as ResourceType;

// A fixed hostPort: two replicas can never share a node (the scheduler's NodePorts filter), so
// they land one per worker whatever the scores say.
const hostPort = 28080;

const manifest = `
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
      containers:
        - name: httpd
          image: ${testImage}
          imagePullPolicy: Never
          env:
            - name: NODE
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
          command: ["sh", "-c", "echo \\"hello from $NODE\\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
          ports: [{ containerPort: 8080, hostPort: ${hostPort} }]
          readinessProbe:
            httpGet: { path: /index.html, port: 8080 }
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;

interface Address { ip: string; nodeName?: string }
interface Subset { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: { name?: string; port: number }[] }
type Endpoints = KObject & { subsets?: Subset[] };
type Pod = KObject & { spec: { nodeName?: string }; status?: { phase?: string; hostIP?: string; conditions?: { type: string; status: string }[] } };
type NodeObj = KObject & { status?: { addresses?: { type: string; address: string }[] } };

function endpointsView(ep: Endpoints | undefined): { ready: string[]; notReady: string[]; ports: number[] } {
  const subsets = ep?.subsets ?? [];
  return {
    ready: subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort(),
    notReady: subsets.flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort(),
    ports: [...new Set(subsets.flatMap((s) => (s.ports ?? []).map((p) => p.port)))],
  };
}

describeNetCluster('a multi-node cluster on a private link (namespaces, a dockerd per worker)', () => {
  // w2 is not told its address: it learns it from its connection to the master.
  const cluster = useNetCluster({ workers: 2, learnNodeIP: ['w2'] });

  const webPods = async (): Promise<Pod[]> => (await cluster().api.list<Pod>(podRt, 'default', { labelSelector: 'app=web' })).items;
  const endpoints = async (): Promise<Endpoints | undefined> => cluster().api.get<Endpoints>(endpointsRt, 'default', 'web').catch(() => undefined);

  it('registers both workers Ready with their own InternalIP', async () => {
    const c = cluster();
    for (const w of c.workers) {
      // A worker that learns its address (w2) has it in its very first report, sent on connect
      // (read from the MQTT socket's local address before that report): no wait needed.
      const node = await c.api.get<NodeObj>(nodeRt, undefined, w.name);
      expect(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe(w.ip);
      expect(await c.nodeReady(w.name)).toBe('True');
    }
    expect(c.workers.map((w) => w.ip)).toEqual([`${c.link.net}.11`, `${c.link.net}.12`]);
  });

  it('spreads a Deployment over both workers; Endpoints list hostIP:hostPort, reachable from the other worker and the gateway', async () => {
    const c = cluster();
    const applied = await c.cli(['apply', '-f', '-'], manifest);
    expect(applied.stderr).toBe('');
    const pods = await until('2 web pods Running and Ready', async () => {
      const items = await webPods();
      const ready = items.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      return ready.length === 2 ? ready : undefined;
    }, 60_000, 250);
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['w1', 'w2']);
    for (const p of pods) expect(p.status?.hostIP).toBe(c.worker(p.spec.nodeName!).ip);

    const ep = await until('Endpoints with both workers ready', async () => {
      const v = endpointsView(await endpoints());
      return v.ready.length === 2 ? v : undefined;
    }, 30_000, 250);
    expect(ep.ready).toEqual([c.worker('w1').ip, c.worker('w2').ip]);
    expect(ep.notReady).toEqual([]);
    expect(ep.ports).toEqual([hostPort]);

    // Each endpoint answers from the other worker's namespace and from the gateway.
    for (const [from, to] of [['w2', 'w1'], ['w1', 'w2']] as const) {
      const url = `http://${c.worker(to).ip}:${hostPort}/index.html`;
      expect(await c.httpGet(from, url)).toBe(`hello from ${to}\n`);
      expect(await c.httpGet('host', url)).toBe(`hello from ${to}\n`);
    }
  }, 120_000);

  /**
   * Cut w1 off, watch the master notice, restore the link and check that w1 resyncs with
   * nothing restarted. `heal` says when the link comes back: right after the node turned
   * Unknown, or only once the broker dropped w1's silent MQTT connection (1.5 × the 30 s
   * keepalive after the last packet, ~5 s after Unknown), as after any outage over a minute.
   */
  async function partition(heal: 'at-unknown' | 'after-broker-drop'): Promise<void> {
    const c = cluster();
    const w1 = c.worker('w1');
    const w2 = c.worker('w2');
    const before = await c.containerRestarts('w1');
    expect(before.filter((x) => x.pod.startsWith('web-') && !x.sandbox)).toHaveLength(1);
    const podsBefore = (await webPods()).map((p) => `${p.metadata.uid}@${p.spec.nodeName}`).sort();
    expect(await c.mqttConnected('w1')).toBe(true);
    // w1's agent log from here on (JSON lines on stderr; far below the 512 KiB the harness keeps).
    const agentLog = (): string => w1.agent?.stderr ?? '';
    const logMark = agentLog().length;

    const cut = Date.now();
    await c.linkDown('w1');
    await until('w1 Ready=Unknown', async () => ((await c.nodeReady('w1')) === 'Unknown' ? true : undefined), 90_000, 250);
    const unknownAfter = Date.now() - cut;
    const ep = await until('w1 not ready in the Endpoints', async () => {
      const v = endpointsView(await endpoints());
      return v.notReady.includes(w1.ip) && !v.ready.includes(w1.ip) ? v : undefined;
    }, 30_000, 250);
    const notReadyAfter = Date.now() - cut;
    console.log(`partition (${heal}): w1 Ready=Unknown ${(unknownAfter / 1000).toFixed(1)} s after its link went down; its endpoint not ready after ${(notReadyAfter / 1000).toFixed(1)} s`);
    expect(ep.ready).toEqual([w2.ip]);
    expect(await c.nodeReady('w2')).toBe('True');
    // The other replica keeps serving; the cut-off one keeps running on its own (edge autonomy).
    expect(await c.httpGet('host', `http://${w2.ip}:${hostPort}/index.html`)).toBe('hello from w2\n');
    expect(await c.httpGet('w1', `http://${w1.ip}:${hostPort}/index.html`)).toBe('hello from w1\n');
    await expect(c.httpGet('host', `http://${w1.ip}:${hostPort}/index.html`, 2000)).rejects.toThrow();
    if (heal === 'after-broker-drop') {
      await until('the broker dropped w1\'s connection', async () => ((await c.mqttConnected('w1')) ? undefined : true), 60_000, 250);
      console.log(`partition (${heal}): the broker dropped w1's connection ${((Date.now() - cut) / 1000).toFixed(1)} s after the cut`);
    }

    const restored = Date.now();
    await c.linkUp('w1');
    await until('w1 Ready again', async () => ((await c.nodeReady('w1')) === 'True' ? true : undefined), 90_000, 250);
    const readyAfter = Date.now() - restored;
    await until('both endpoints ready again', async () => (endpointsView(await endpoints()).ready.length === 2 ? true : undefined), 30_000, 250);
    console.log(`partition (${heal}): w1 Ready again ${(readyAfter / 1000).toFixed(1)} s after its link came back; endpoints whole after ${((Date.now() - restored) / 1000).toFixed(1)} s`);

    if (heal === 'at-unknown') {
      // The case this covers: one connection throughout, and the gateway asked for the pods' statuses.
      const since = agentLog().slice(logMark);
      expect(since).not.toContain('connected to master');
      expect(since).toContain('the master asked for every pod status again');
    }

    // Nothing was restarted or replaced: same pods, same containers, same start times.
    expect((await webPods()).map((p) => `${p.metadata.uid}@${p.spec.nodeName}`).sort()).toEqual(podsBefore);
    expect(await c.containerRestarts('w1')).toEqual(before);
    expect(await c.httpGet('w2', `http://${w1.ip}:${hostPort}/index.html`)).toBe('hello from w1\n');
  }

  it('partition: a cut-off worker turns Unknown, its endpoint goes not-ready; back on the link it resyncs without restarting a container', async () => {
    await partition('after-broker-drop');
  }, 240_000);

  // The link returns before the broker drops the connection: the agent never notices the outage
  // (its QoS 1 publishes reset mqtt.js's ping timer, so no reconnect, no hello). The gateway,
  // seeing a node it had marked Unknown report again, writes its status back to Ready and only
  // then asks it to re-send every pod status (`resend`), so the pods the node lifecycle controller
  // marked Ready=False (NodeNotReady) become Ready on a Ready node and their endpoints return.
  it('partition healed before the broker drops the connection: pods Ready again (the gateway asks for their statuses)', async () => {
    await partition('at-unknown');
  }, 240_000);
});
