// The agent's side of Services: the light decoder refuses hostile messages, the agent applies
// services.sync/upsert/delete to its proxy backend (coalesced), gives pods the service env
// vars, reports counters, keeps serving the last known Services across a restart without a
// master, and stops the backend with itself.
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { decodeServices, ProtocolError } from '../../src/agent/decode.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { AgentServices, proxyStateOf } from '../../src/agent/services.js';
import { emptyState } from '../../src/agent/state.js';
import { SyntheticStatusSource, syntheticFacts } from '../../src/agent/status/source.js';
import { silentLogger } from '../../src/log/logger.js';
import type { ProxyReport, ServiceBundle } from '../../src/protocol/messages.js';
import type { ProxyBackend, ProxyState, ServicePortCounters } from '../../src/proxy/types.js';
import { bundle, container, nodeName, pod, startBroker, tempDir, waitFor } from './helpers.js';

/** Records every call; sync can be held to test coalescing. */
class RecordingBackend implements ProxyBackend {
  readonly mode = 'userspace' as const;
  readonly calls: string[] = [];
  readonly states: ProxyState[] = [];
  hold: Promise<void> | undefined;
  traffic: ServicePortCounters[] = [];
  async start(): Promise<void> { this.calls.push('start'); }
  async sync(state: ProxyState): Promise<void> {
    this.calls.push('sync');
    await this.hold;
    this.states.push(state);
  }
  async stop(): Promise<void> { this.calls.push('stop'); }
  counters(): ServicePortCounters[] { return this.traffic; }
  get last(): ProxyState | undefined { return this.states.at(-1); }
}

const web = (endpoints: string[], revision = 10): ServiceBundle => ({
  namespace: 'default', name: 'web', revision, clusterIP: '10.96.0.20', type: 'NodePort',
  ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, proxyPort: 20080, endpoints: endpoints.map((ip) => ({ ip, port: 31000 })) }],
});

describe('decodeServices (light, on the device)', () => {
  const ok = { v: 1, type: 'services.sync', revision: 1, services: [web(['192.168.1.2'])] };
  const bad: [string, unknown][] = [
    ['not JSON', '{'],
    ['wrong version', { ...ok, v: 2 }],
    ['unknown type', { ...ok, type: 'services.nuke' }],
    ['services not a list', { ...ok, services: {} }],
    ['a rule injected through the ClusterIP', { ...ok, services: [{ ...web([]), clusterIP: '10.0.0.1 -j ACCEPT' }] }],
    ['an endpoint address that is not an IP', { ...ok, services: [web(['evil"host'])] }],
    ['port out of range', { ...ok, services: [{ ...web([]), ports: [{ protocol: 'TCP', port: 70000, endpoints: [] }] }] }],
    ['unknown protocol', { ...ok, services: [{ ...web([]), ports: [{ protocol: 'ICMP', port: 1, endpoints: [] }] }] }],
    ['a port name with a quote', { ...ok, services: [{ ...web([]), ports: [{ name: 'a"b', protocol: 'TCP', port: 1, endpoints: [] }] }] }],
    ['a namespace with a slash', { ...ok, services: [{ ...web([]), namespace: 'a/b' }] }],
    ['externalIPs not addresses', { ...ok, services: [{ ...web([]), externalIPs: ['0.0.0.0/0'] }] }],
    ['affinity out of range', { ...ok, services: [{ ...web([]), affinitySeconds: 0 }] }],
    ['endpoints missing', { ...ok, services: [{ ...web([]), ports: [{ protocol: 'TCP', port: 1 }] }] }],
    ['upsert without a service', { v: 1, type: 'services.upsert', revision: 1 }],
    ['delete without a name', { v: 1, type: 'services.delete', revision: 1, namespace: 'default' }],
    ['negative revision', { ...ok, revision: -1 }],
  ];
  it.each(bad)('refuses %s', (_what, msg) => {
    const payload = Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg));
    expect(() => decodeServices(payload)).toThrow(ProtocolError);
  });
  it('accepts the gateway\'s messages', () => {
    expect(decodeServices(Buffer.from(JSON.stringify(ok))).type).toBe('services.sync');
    expect(decodeServices(Buffer.from(JSON.stringify({ v: 1, type: 'services.delete', revision: 2, namespace: 'default', name: 'web' }))).type).toBe('services.delete');
  });
});

describe('AgentServices', () => {
  it('coalesces syncs: one in flight, the latest state wins', async () => {
    const backend = new RecordingBackend();
    const s = new AgentServices({ state: emptyState(), proxy: { backend, envTarget: { mode: 'iptables' } }, logger: silentLogger(), publish: async () => true });
    await s.start();
    await s.settled();
    let release!: () => void;
    backend.hold = new Promise((r) => { release = r; });
    s.apply({ v: 1, type: 'services.upsert', revision: 1, service: web(['192.168.1.1'], 1) });
    for (let i = 2; i <= 50; i++) s.apply({ v: 1, type: 'services.upsert', revision: i, service: web([`192.168.1.${i}`], i) });
    release();
    await s.settled();
    // The first sync (started before the burst), the held one, and one more with the latest state.
    expect(s.syncs).toBe(3);
    expect(backend.last!.ports[0]!.endpoints).toEqual([{ ip: '192.168.1.50', port: 31000 }]);
    // An older upsert arriving late changes nothing.
    expect(s.apply({ v: 1, type: 'services.upsert', revision: 3, service: web(['192.168.1.3'], 3) })).toBe(false);
    await s.stop();
    expect(backend.calls.at(-1)).toBe('stop');
  });

  it('proxyStateOf: one entry per TCP/UDP port, keyed and sorted; SCTP left out', () => {
    const st = proxyStateOf([{ ...web(['192.168.1.9']), externalIPs: ['192.168.1.1'], affinitySeconds: 60, ports: [...web(['192.168.1.9']).ports, { name: 's', protocol: 'SCTP', port: 9, endpoints: [] }] }]);
    expect(st.ports).toEqual([{
      key: 'default/web:http', namespace: 'default', service: 'web', portName: 'http', protocol: 'TCP', port: 80, clusterIP: '10.96.0.20',
      nodePort: 30080, proxyPort: 20080, externalIPs: ['192.168.1.1'], affinitySeconds: 60, endpoints: [{ ip: '192.168.1.9', port: 31000 }],
    }]);
  });
});

// ---- over MQTT, with a scripted master ----------------------------------------------------

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function makeAgent(port: number, runtime: FakeRuntime, stateDir: string, backend: RecordingBackend): Agent {
  const agent = new Agent({
    nodeName, mqtt: { url: `mqtt://127.0.0.1:${port}`, username: nodeName, password: 'x' }, runtime,
    status: new SyntheticStatusSource(syntheticFacts(nodeName), { cpuPercent: 20, memoryUsedBytes: 2 ** 30, memoryAvailableBytes: 3 * 2 ** 30 }),
    stateDir, logger: silentLogger(), proxy: { backend, envTarget: { mode: 'userspace', address: '172.17.0.1' } },
    options: { heartbeatMs: 300, syncPeriodMs: 50, reconnectBaseMs: 50, reconnectMaxMs: 200, prober: async () => ({ ok: true }) },
  });
  cleanups.push(() => agent.stop());
  return agent;
}

describe('agent over MQTT', () => {
  it('applies services to its backend, gives pods env vars, reports counters, keeps serving across a restart without the master', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const broker = await startBroker();
    const master: MqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'master', reconnectPeriod: 0 });
    const reports: ProxyReport[] = [];
    const send = (m: object, leaf: string): void => { master.publish(`bramble/v1/nodes/${nodeName}/${leaf}`, JSON.stringify(m), { qos: 1 }); };
    master.on('message', (topic, payload) => {
      const leaf = topic.split('/').slice(4).join('/');
      if (leaf === 'hello') {
        send({ v: 1, type: 'services.sync', revision: 10, services: [web(['192.168.1.2'])] }, 'services');
        send({ v: 1, type: 'sync', revision: 5, pods: [] }, 'desired');
      } else if (leaf === 'proxy') reports.push(JSON.parse(payload.toString()) as ProxyReport);
    });
    await master.subscribeAsync('bramble/v1/nodes/+/#', { qos: 1 });
    cleanups.push(async () => { await master.endAsync(true); await broker.close(); });

    const runtime = new FakeRuntime();
    const backend = new RecordingBackend();
    let agent = makeAgent(broker.port, runtime, dir, backend);
    await agent.start();
    await waitFor('the sync reaches the backend', () => backend.last?.ports[0]?.endpoints.length === 1);
    expect(backend.last!.ports[0]).toMatchObject({ key: 'default/web:http', nodePort: 30080, proxyPort: 20080 });

    // A hostile message costs a log line; the agent and its backend go on.
    send({ v: 1, type: 'services.upsert', revision: 11, service: { ...web([]), clusterIP: '1.2.3.4; rm -rf /' } }, 'services');
    send({ v: 1, type: 'services.upsert', revision: 12, service: web(['192.168.1.2', '192.168.1.3'], 12) }, 'services');
    await waitFor('the upsert applied', () => backend.last?.ports[0]?.endpoints.length === 2);
    expect(backend.states.some((s) => s.ports.some((p) => p.clusterIP !== '10.96.0.20'))).toBe(false);

    // A pod started now sees the service where this (userspace) node serves it.
    const p = pod('client', { containers: [container('app', { env: [{ name: 'WEB_SERVICE_HOST', value: 'explicit-wins' }] })] });
    send({ v: 1, type: 'upsert', revision: 13, bundle: bundle(p) }, 'desired');
    let cfg: ReturnType<FakeRuntime['configOf']>;
    await waitFor('the pod runs', async () => {
      const c = (await runtime.listContainers(nodeName)).find((x) => x.pod.uid === p.metadata.uid && !x.isSandbox);
      cfg = c && runtime.configOf(c.id);
      return cfg !== undefined;
    });
    expect(cfg!.env).toMatchObject({ WEB_SERVICE_HOST: 'explicit-wins', WEB_SERVICE_PORT: '20080', WEB_PORT_80_TCP: 'tcp://172.17.0.1:20080' });

    // Counters go to the master on the proxy leaf.
    backend.traffic = [{ key: 'default/web:http', connections: 3, bytesIn: 100, bytesOut: 2000, failed: 0 }];
    await agent.proxy!.report();
    await waitFor('a counters report', () => reports.some((r) => r.services[0]?.connections === 3));
    expect(reports.at(-1)).toMatchObject({ mode: 'userspace', services: [{ key: 'default/web:http', bytesOut: 2000 }] });

    // Deleted: gone from the backend.
    send({ v: 1, type: 'services.delete', revision: 14, namespace: 'default', name: 'web' }, 'services');
    await waitFor('the delete applied', () => backend.last?.ports.length === 0);
    send({ v: 1, type: 'services.upsert', revision: 15, service: web(['192.168.1.7'], 15) }, 'services');
    await waitFor('back', () => backend.last?.ports[0]?.endpoints[0]?.ip === '192.168.1.7');

    // Stop: the backend is stopped with the agent. Then the master goes away for good and the
    // agent starts again: it serves the last known Services from its state file.
    await agent.stop();
    expect(backend.calls.at(-1)).toBe('stop');
    await master.endAsync(true);
    await broker.close();
    const again = new RecordingBackend();
    agent = makeAgent(broker.port, runtime, dir, again);
    await agent.start();
    await agent.proxy!.settled();
    expect(agent.connected).toBe(false);
    expect(again.calls.slice(0, 2)).toEqual(['start', 'sync']);
    expect(again.last!.ports[0]!.endpoints).toEqual([{ ip: '192.168.1.7', port: 31000 }]);
  });
});
