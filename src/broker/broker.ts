// The embedded MQTT broker (aedes). Every client authenticates; nodes are fenced into their own
// subtree with the protocol's ACL helpers:
//  - a publish outside a node's own node → master topics closes that client (a well-behaved
//    agent never does it, so it is treated as hostile; its Last Will then reports it offline);
//  - a subscription outside its own master → node topics is granted 0x80 (refused) and the
//    connection stays, so one bad filter in a SUBSCRIBE does not cut a node off;
//  - nothing on another node's topics is ever forwarded to a node (authorizeForward).
// The master's own client (the node gateway) may use the whole bramble tree.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createPersistence } from './persistence.js';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { nodeMayPublish, nodeMayReceive, nodeMaySubscribe, parseNodeTopic, topicRoot } from '../protocol/topics.js';
import { maxPayloadBytes } from '../protocol/envelope.js';
import type { Logger } from '../log/logger.js';
import { SizeLimitedConnection } from './size-guard.js';

export type Principal = { kind: 'master' } | { kind: 'node'; node: string };

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Who holds these credentials; undefined refuses the client. The password is never logged. */
  authenticate(username: string, password: string): Promise<Principal | undefined>;
  /** Largest MQTT packet accepted (default: the protocol's payload limit plus room for the topic). */
  maxPacketBytes?: number;
  /**
   * Bytes a node may leave unread before it is cut off (default 4 × the packet limit, ~16 MiB).
   * Nodes never hold up delivery to others (size-guard.ts); the master's own client keeps
   * TCP's backpressure, which paces the nodes when the master is busy.
   */
  nodeQueueLimitBytes?: number;
}

/** Client ids of node agents: one per node, so a node cannot take over another node's session. */
export const agentClientIdPrefix = 'bramble-agent-';

/** Pending connections the kernel may hold for the broker's accept() (see start()). */
const listenBacklog = 4096;
export { masterUsername } from './credentials.js';

function authError(message: string, returnCode: 2 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly sockets = new Set<Socket>();
  private readonly log: Logger;

  constructor(private readonly opts: BrokerOptions) {
    this.log = opts.logger;
  }

  private get maxPacketBytes(): number {
    return this.opts.maxPacketBytes ?? maxPayloadBytes + 64 * 1024;
  }

  /** Resolves with the bound port. */
  async start(): Promise<number> {
    const aedes = await Aedes.createBroker({
      id: 'bramble',
      // aedes' types name its own persistence class; ours is that class with a faster retained lookup.
      persistence: createPersistence() as NonNullable<Parameters<typeof Aedes.createBroker>[0]>['persistence'],
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then((err) => done(err, err === null), (err: unknown) => {
          this.log.error({ err, clientId: client.id }, 'MQTT authentication failed unexpectedly');
          done(authError('Server unavailable', 4), false);
        });
      },
      authorizePublish: (client, packet, cb) => cb(this.authorizePublish(client, packet)),
      authorizeSubscribe: (client, sub, cb) => cb(null, this.authorizeSubscribe(client, sub)),
      authorizeForward: (client, packet) => this.authorizeForward(client, packet),
    });
    this.aedes = aedes;
    aedes.on('clientError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));
    const max = this.maxPacketBytes;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined); // reported through aedes; a reset must not crash the master
      const conn = new SizeLimitedConnection(socket, max, (bytes) => {
        this.log.warn({ remote: socket.remoteAddress, bytes, limit: max }, 'MQTT packet too large: connection closed');
      });
      aedes.handle(conn);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A fleet reconnects at once after the gateway restarts: Node's default backlog (511) overflows
      // and the kernel drops or SYN-cookies the rest, whose CONNECTs then meet a reset. The kernel
      // caps this at net.core.somaxconn (4096 on current Linux).
      server.listen({ port: this.opts.port, host: this.opts.host, backlog: listenBacklog }, () => { server.off('error', reject); resolve(); });
    });
    const port = (server.address() as AddressInfo).port;
    this.log.info({ host: this.opts.host, port }, 'MQTT broker listening');
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (server) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const clientId = client.id;
    if (!username || !password || password.length === 0) {
      this.log.warn({ clientId, username }, 'MQTT client refused: no credentials');
      return authError('Bad username or password', 4);
    }
    const principal = await this.opts.authenticate(username, password.toString('utf8'));
    if (!principal) {
      this.log.warn({ clientId, username }, 'MQTT client refused: bad username or password');
      return authError('Bad username or password', 4);
    }
    if (principal.kind === 'node' && clientId !== `${agentClientIdPrefix}${principal.node}`) {
      this.log.warn({ clientId, node: principal.node }, `MQTT client refused: a node must connect with client id ${agentClientIdPrefix}${principal.node}`);
      return authError('Identifier rejected', 2);
    }
    if (principal.kind === 'master' && clientId.startsWith(agentClientIdPrefix)) {
      this.log.warn({ clientId }, 'MQTT client refused: the master may not use an agent client id');
      return authError('Identifier rejected', 2);
    }
    this.principals.set(client, principal);
    if (principal.kind === 'node' && client.conn instanceof SizeLimitedConnection) {
      const limit = this.opts.nodeQueueLimitBytes ?? 4 * this.maxPacketBytes;
      client.conn.decouple(limit, (queued) => this.log.warn({ node: principal.node, queued, limit }, 'MQTT node not reading what is sent to it: connection closed'));
    }
    this.log.debug({ clientId, principal: principal.kind === 'node' ? `node/${principal.node}` : 'master' }, 'MQTT client authenticated');
    return null;
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (client === null) return null; // the broker's own messages ($SYS)
    const p = this.principals.get(client);
    if (!p) return new Error('not authenticated');
    if (p.kind === 'master') {
      if (packet.topic.startsWith(`${topicRoot}/`)) return null;
      this.log.warn({ clientId: client.id, topic: packet.topic }, 'MQTT publish refused: outside the bramble tree');
      return new Error('publish outside the bramble tree');
    }
    if (!nodeMayPublish(p.node, packet.topic)) {
      this.log.warn({ node: p.node, topic: packet.topic }, 'MQTT publish refused: outside the node\'s own topics; closing the client');
      return new Error(`node ${p.node} may not publish to ${packet.topic}`);
    }
    // Only presence is kept by the broker; a retained status or log chunk would be replayed as new.
    if (packet.retain && parseNodeTopic(packet.topic)?.leaf !== 'presence') packet.retain = false;
    return null;
  }

  private authorizeSubscribe(client: Client, sub: Subscription): Subscription | null {
    const p = this.principals.get(client);
    if (p?.kind === 'master') return sub;
    if (p && nodeMaySubscribe(p.node, sub.topic)) return sub;
    this.log.warn({ node: p?.kind === 'node' ? p.node : undefined, clientId: client.id, topic: sub.topic }, 'MQTT subscription refused (granted 0x80)');
    return null;
  }

  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const p = this.principals.get(client);
    if (p?.kind === 'master') return packet;
    if (p && nodeMayReceive(p.node, packet.topic)) return packet;
    return null;
  }
}
