// The agent's MQTT connection to the master. The node dials out (it sits behind NAT), logs in
// as itself (username = node name, password = its token), leaves a retained "offline" Last
// Will, and reconnects with exponential back-off and jitter for as long as it runs.
import net from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { Logger } from '../log/logger.js';
import { encode } from './decode.js';
import type { Presence } from '../protocol/messages.js';
import { nodeTopic, toNode, type FromNodeTopic } from '../protocol/topics.js';

export interface LinkOptions {
  url: string;
  nodeName: string;
  username: string;
  password: string;
  logger: Logger;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Called on every (re)connect, after the subscriptions are in place. */
  onConnect: (localAddress: string | undefined) => void;
  onMessage: (leaf: string, payload: Buffer) => void;
}

const offline: Presence = { v: 1, type: 'presence', state: 'offline' };
const online: Presence = { v: 1, type: 'presence', state: 'online' };

/** host and port of an mqtt:// or tcp:// URL (no proxy configured for mqtt.js), else undefined. */
export function plainTcp(url: string): { host: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') || process.env.MQTTJS_SOCKS_PROXY) return undefined;
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost', port: u.port ? Number(u.port) : 1883 };
}

export class MasterLink {
  private client: MqttClient | undefined;
  private failures = 0;
  private readonly log: Logger;
  private readonly prefix: string;

  constructor(private readonly o: LinkOptions) {
    this.log = o.logger.child({ component: 'link' });
    this.prefix = nodeTopic(o.nodeName, 'desired').slice(0, -'desired'.length);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    const o = this.o;
    const options: IClientOptions = {
      clientId: `bramble-agent-${o.nodeName}`,
      username: o.username,
      password: o.password,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: o.reconnectBaseMs,
      // Nothing is queued while offline: everything that matters is sent again after a reconnect.
      queueQoSZero: false,
      // mqtt-packet's default write cache is 65 536 pre-made 2-byte Buffers (one per packet id /
      // length): ~16 MB of RSS for a client that sends a few messages a minute. Without it the
      // two bytes are allocated when a packet is written.
      writeCache: false,
      will: { topic: nodeTopic(o.nodeName, 'presence'), payload: encode(offline), qos: 1, retain: true },
    };
    const tcp = plainTcp(o.url);
    // mqtt.connect() loads every transport it knows on each call (ws, socks, ...: ~2.7 MB); a plain
    // mqtt:// master needs just a TCP socket, which MqttClient asks for on every (re)connect.
    const client = tcp ? new MqttClient(() => net.createConnection(tcp), options) : mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', () => void this.connected_(client));
    client.on('message', (topic, payload) => {
      if (!topic.startsWith(this.prefix)) return;
      o.onMessage(topic.slice(this.prefix.length), payload);
    });
    client.on('close', () => {
      // Exponential back-off with jitter: a fleet whose gateway reboots must not reconnect in lockstep.
      this.failures++;
      const delay = Math.min(o.reconnectMaxMs, o.reconnectBaseMs * 2 ** Math.min(this.failures - 1, 20));
      client.options.reconnectPeriod = Math.max(1, Math.round(delay * (0.75 + Math.random() * 0.5)));
    });
    client.on('error', (err) => {
      // "Bad username or password" and the like: logged, and the client keeps retrying.
      this.log.warn({ err: err.message, url: o.url }, 'MQTT connection error');
    });
    client.on('offline', () => this.log.warn({ url: o.url }, 'master unreachable; running on local state'));
  }

  private async connected_(client: MqttClient): Promise<void> {
    this.failures = 0;
    client.options.reconnectPeriod = this.o.reconnectBaseMs;
    try {
      await client.subscribeAsync(toNode.filter((leaf) => leaf !== 'services').map((leaf) => nodeTopic(this.o.nodeName, leaf)), { qos: 1 });
      // Apart: an external broker whose ACL predates the services leaf refuses it (and mqtt.js
      // rejects a whole subscribe call for one refusal); pods must still run there.
      await client.subscribeAsync(nodeTopic(this.o.nodeName, 'services'), { qos: 1 })
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'the broker refused the services topic: this node serves no Services (allow it in the broker ACL, docs/protocol.md)'));
      await this.publish('presence', online, true);
      const sock = (client.stream as unknown as net.Socket | undefined);
      this.log.info({ url: this.o.url }, 'connected to master');
      this.o.onConnect(sock?.localAddress?.replace(/^::ffff:/, ''));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'subscribing to the node topics failed');
      client.end(true, () => client.reconnect());
    }
  }

  /** Publish when connected (QoS 1); false when the link is down (the message is dropped). */
  async publish(leaf: FromNodeTopic, message: object, retain = false): Promise<boolean> {
    const c = this.client;
    if (!c?.connected) return false;
    await c.publishAsync(nodeTopic(this.o.nodeName, leaf), encode(message), { qos: 1, retain });
    return true;
  }

  /** Say goodbye (retained offline presence) and close. */
  async stop(): Promise<void> {
    const c = this.client;
    if (!c) return;
    if (c.connected) await this.publish('presence', offline, true).catch(() => undefined);
    await c.endAsync(true);
    this.client = undefined;
  }
}
