// A master's node channel in one process: an API server over a memory store, the embedded
// broker with the master's credential rules, the node gateway, and scripted fake nodes
// (plain mqtt.js clients speaking the protocol).
import { randomBytes } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { EmbeddedBroker } from '../../src/broker/broker.js';
import { brokerAuthenticator, masterUsername } from '../../src/broker/credentials.js';
import { NodeGateway } from '../../src/nodegateway/gateway.js';
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { encode } from '../../src/protocol/codec.js';
import { nodeTopic } from '../../src/protocol/topics.js';
import { startHarness, type Harness } from '../apiserver/harness.js';

/** A logger whose records tests can read. */
export function memoryLogger(): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export interface Env {
  h: Harness;
  broker: EmbeddedBroker;
  gateway: NodeGateway;
  mqttUrl: string;
  port: number;
  /** The master's broker password (for spy clients). */
  secret: string;
  logs: any[];
  nodeToken(node: string): Promise<string>;
  /** A scripted node connected with a fresh token of its own; stop() closes it. */
  node(name: string): Promise<FakeNode>;
  /** The nodes from node(), in order. */
  readonly nodes: readonly FakeNode[];
  /** Closes the nodes from node(), then the gateway, the broker and the API server. */
  stop(): Promise<void>;
}

export async function startEnv(opts: { presenceGraceMs?: number; logAnswerTimeoutMs?: number; statusRefreshMs?: number; now?: () => number } = {}): Promise<Env> {
  const h = await startHarness();
  const { logger, lines } = memoryLogger();
  const secret = randomBytes(16).toString('hex');
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, logger, authenticate: brokerAuthenticator(h.server.tokens, secret) });
  const port = await broker.start();
  const mqttUrl = `mqtt://127.0.0.1:${port}`;
  const gateway = new NodeGateway({ mqttUrl, username: masterUsername, password: secret, api: new LocalApiClient(h.server.resources, h.store), logger, ...opts });
  await gateway.start();
  h.server.podLogs = gateway;
  const nodeToken = (node: string): Promise<string> => h.server.tokens.create({ user: `system:node:${node}`, roles: ['node'], node });
  const nodes: FakeNode[] = [];
  return {
    h, broker, gateway, mqttUrl, port, secret, logs: lines, nodeToken, nodes,
    node: async (name) => {
      const n = await new FakeNode(name, mqttUrl, await nodeToken(name)).connect();
      nodes.push(n);
      return n;
    },
    stop: async () => {
      for (const n of nodes) await n.close();
      await gateway.stop(); await broker.stop(); await h.stop();
    },
  };
}

/** A scripted node: connects with Last Will, says online + hello, records what it receives. */
export class FakeNode {
  client!: MqttClient;
  readonly received: { topic: string; msg: any }[] = [];

  constructor(readonly name: string, private readonly url: string, private readonly token: string) {}

  async connect(extra: Partial<IClientOptions> = {}): Promise<this> {
    this.client = await connectAsync(this.url, {
      clientId: `bramble-agent-${this.name}`,
      username: this.name,
      password: this.token,
      reconnectPeriod: 0,
      will: { topic: nodeTopic(this.name, 'presence'), payload: encode({ v: 1, type: 'presence', state: 'offline' }), qos: 1, retain: true },
      ...extra,
    });
    this.client.on('message', (topic, payload) => {
      let msg: unknown;
      try { msg = JSON.parse(payload.toString()); } catch { msg = payload.toString(); }
      this.received.push({ topic, msg });
    });
    await this.client.subscribeAsync(`bramble/v1/nodes/${this.name}/#`, { qos: 1 });
    return this;
  }

  async hello(): Promise<void> {
    await this.send('presence', { v: 1, type: 'presence', state: 'online' }, true);
    await this.send('hello', { v: 1, type: 'hello', agentVersion: 'test', appliedRevision: 0 });
  }

  async send(leaf: string, msg: unknown, retain = false): Promise<void> {
    const payload = Buffer.isBuffer(msg) ? msg : typeof msg === 'string' ? Buffer.from(msg) : encode(msg as object);
    await this.client.publishAsync(`bramble/v1/nodes/${this.name}/${leaf}`, payload, { qos: 1, retain });
  }

  desired(type?: string): any[] {
    return this.received.filter((r) => r.topic.endsWith('/desired') && (type === undefined || r.msg.type === type)).map((r) => r.msg);
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
  }
}

// Generous: a positive wait ends as soon as the thing is there, and a loaded CI machine is slow.
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A node status report; `at` is the heartbeat time (default now), `since` the Ready transition time (default `at`). */
export function statusReport(labels: Record<string, string> = {}, ready = 'True', o: { usage?: Record<string, unknown>; at?: string; since?: string } = {}): Record<string, unknown> {
  const now = o.at ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    v: 1, type: 'status', labels,
    status: {
      capacity: { cpu: '4', memory: '4Gi', pods: '20' },
      allocatable: { cpu: '4', memory: '3Gi', pods: '20' },
      conditions: [{ type: 'Ready', status: ready, reason: 'AgentReady', message: 'agent is posting ready status', lastHeartbeatTime: now, lastTransitionTime: o.since ?? now }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.2' }],
      nodeInfo: { architecture: 'arm64', kubeletVersion: 'v0.1.0' },
      ...(o.usage ? { usage: { ...o.usage, timestamp: now } } : {}),
    },
  };
}
