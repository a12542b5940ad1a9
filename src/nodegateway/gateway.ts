// The node gateway: the master's side of the MQTT channel, store ⇄ nodes through the API.
//  - desired state: every node gets a full `sync` of its pods (with their ConfigMaps and
//    Secrets) when it says hello, then `upsert`/`delete` deltas as pods change;
//  - reports: node status (registration + heartbeat), pod status, presence, log chunks;
//  - services: every node gets every Service with its Endpoints (services.ts), full set on
//    hello, then one delta per changed Service;
//  - presence: Last Will `offline` or heartbeats missing past a grace → Ready=Unknown.
// Everything a node sends is decoded strictly; a bad message costs one warn line and is dropped.
// Work for one node runs in order (one promise chain per node), different nodes in parallel.
import { connectAsync, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { resourceByKind, type ResourceType } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import type { ApiInterface, PodLogRequest, PodLogSource } from '../client/api.js';
import type { Logger } from '../log/logger.js';
import { decode, encode, ProtocolError } from '../protocol/codec.js';
import { masterFeatures, type DesiredMessage, type LogsData, type LogsRequest, type NodeHeartbeat, type NodeStatusReport, type PodBundle, type PodStatusReport, type Presence, type ProxyReport, type ServicesMessage } from '../protocol/messages.js';
import { allNodesTopic, fromNode, nodeTopic, parseNodeTopic } from '../protocol/topics.js';
import { buildBundle, bundleMark, nodeOf, sameBundle, usesObject, type BundleMark } from './bundles.js';
import { Informer, objectKey, type InformerEvent, type InformerHandler, type SharedInformers } from '../client/informer.js';
import { LogStreams } from './logs.js';
import { ServiceFeed } from './services.js';
import { applyHeartbeat, applyStatusReport, defaultUsageDeadband, markNodeUnknown, readyStatus, statusSignature, usageMoved, writeNodeStatus, type UsageDeadband } from './node-status.js';

const pods = resourceByKind('v1', 'Pod')!;
const configMaps = resourceByKind('v1', 'ConfigMap')!;
const secrets = resourceByKind('v1', 'Secret')!;
const nodes = resourceByKind('v1', 'Node')!;
const services = resourceByKind('v1', 'Service')!;
const endpoints = resourceByKind('v1', 'Endpoints')!;

export interface NodeGatewayOptions {
  /** e.g. mqtt://127.0.0.1:1883 (credentials in the URL are ignored: pass them below). */
  mqttUrl: string;
  username: string;
  password: string;
  api: ApiInterface;
  logger: Logger;
  /** Caches shared with the rest of the master (started by their owner before start()); without, the gateway keeps its own. */
  informers?: SharedInformers;
  /** A node not heard from for this long is marked Ready=Unknown (default 40 s). */
  presenceGraceMs?: number;
  /** How long a node has to answer a log request (default 10 s). */
  logAnswerTimeoutMs?: number;
  /**
   * A heartbeat that changes nothing but times and live readings (within the deadband) is
   * written to the API at most this often per node (default 60 s); every heartbeat still
   * counts for presence, and any other change is written at once.
   */
  statusRefreshMs?: number;
  /** Usage drift written at once rather than at the next refresh (default: 5 points of CPU, 2 of memory, 2 °C). */
  usageDeadband?: UsageDeadband;
  clientId?: string;
  /** A node's proxy counters (master /metrics); each report is cumulative since `since`. */
  onProxyReport?: (node: string, report: ProxyReport) => void;
  /**
   * Milliseconds since the epoch, for presence, the refresh and asking again (default Date.now).
   * Tests pass a fake clock, then call sweep() after moving it.
   */
  now?: () => number;
}

interface Sent { node: string; uid: string; mark: BundleMark }

/** The last status report of a node written to the API. */
interface Written {
  /** The gateway's digest of the report (statusSignature). */
  signature: string;
  /** The node's own digest of it (`sig`), which its heartbeats repeat. */
  sig: string | undefined;
  usage: NodeStatusReport['status']['usage'];
  /** When the report was last written in full (the refresh counts from here). */
  at: number;
}

/** A node whose heartbeat the gateway cannot place is sent a sync (answered with a full report) at most this often. */
const askAgainMs = 10_000;

const qos1: IClientPublishOptions = { qos: 1 };

export class NodeGateway implements PodLogSource {
  private client: MqttClient | undefined;
  private readonly log: Logger;
  private readonly informers: { pods: Informer; configMaps: Informer; secrets: Informer; services: Informer; endpoints: Informer };
  private readonly services: ServiceFeed;
  private synced = false;
  private readonly pendingHellos = new Set<string>();
  /** What each bound pod's node was last sent, so deltas go only where something changed. */
  private readonly sent = new Map<string, Sent>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly lastSeen = new Map<string, number>();
  private readonly lost = new Set<string>();
  private readonly written = new Map<string, Written>();
  /** When each node was last sent a sync to get a full status report out of it. */
  private readonly asked = new Map<string, number>();
  /**
   * Nodes that said hello and whose next report is the node status they send on connecting,
   * followed by every pod's status: those pod reports land after the node status is written,
   * so the gateway need not ask for them again (see onStatus).
   */
  private readonly reconnected = new Set<string>();
  private readonly logs: LogStreams;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: NodeGatewayOptions) {
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    const api = opts.api;
    const shared = opts.informers;
    // In the master the caches are the ones the scheduler and controllers read: one copy of
    // every pod, one watch per kind. Alone (tests, tools) the gateway keeps its own.
    const follow = (rt: ResourceType, handler: InformerHandler): Informer => {
      if (!shared) return new Informer(api, rt, handler, this.log);
      const inf = shared.for(rt);
      this.unsubscribe.push(inf.on(handler));
      return inf;
    };
    this.informers = {
      pods: follow(pods, (t, o) => this.onPod(t, o)),
      configMaps: follow(configMaps, (_t, o) => this.onReferenced('ConfigMap', o)),
      secrets: follow(secrets, (_t, o) => this.onReferenced('Secret', o)),
      services: follow(services, (_t, o) => this.onService(o)),
      endpoints: follow(endpoints, (_t, o) => this.onService(o)),
    };
    this.services = new ServiceFeed({ services: this.informers.services, endpoints: this.informers.endpoints, send: (node, msg) => this.send(node, msg, 'services') });
    this.logs = new LogStreams({ publishLogsRequest: (node, msg) => this.publish(node, 'logs/request', msg) }, opts.logAnswerTimeoutMs ?? 10_000);
  }

  get presenceGraceMs(): number {
    return this.opts.presenceGraceMs ?? 40_000;
  }

  async start(): Promise<void> {
    if (!this.opts.informers) for (const inf of Object.values(this.informers)) inf.start();
    await Promise.all(Object.values(this.informers).map((i) => i.synced));
    this.synced = true;
    await this.trackKnownNodes();
    const client = await connectAsync(this.opts.mqttUrl, {
      username: this.opts.username,
      password: this.opts.password,
      clientId: this.opts.clientId ?? `bramble-master-${process.pid}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on('connect', () => { void this.subscribe(); });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'MQTT connection error'));
    client.on('offline', () => this.log.warn('MQTT connection to the broker lost; reconnecting'));
    await this.subscribe();
    for (const node of this.pendingHellos) { this.sendSync(node); this.services.sync(node); }
    this.pendingHellos.clear();
    const every = Math.max(100, Math.min(1000, Math.floor(this.presenceGraceMs / 4)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
    this.log.info({ url: redactUrl(this.opts.mqttUrl) }, 'node gateway connected');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const u of this.unsubscribe.splice(0)) u();
    if (!this.opts.informers) await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    await this.client?.endAsync(true).catch(() => undefined);
    this.client = undefined;
    await Promise.allSettled([...this.queues.values()]);
  }

  // ---- PodLogSource --------------------------------------------------------------------

  streamLogs(req: PodLogRequest, signal: AbortSignal): AsyncIterable<Uint8Array> {
    if (!this.client?.connected) throw new StatusError('ServiceUnavailable', 'the node gateway is not connected to the MQTT broker');
    return this.logs.stream(req, signal);
  }

  // ---- MQTT in -------------------------------------------------------------------------

  private async subscribe(): Promise<void> {
    const client = this.client;
    if (!client) return;
    // Status reports are periodic and superseded by the next one: QoS 0 from the broker to the
    // gateway spares a PUBACK and the broker's in-flight bookkeeping for each (1000/s at 10 000
    // nodes). A lost one is as good as a late one; presence has a grace of several heartbeats.
    await client.subscribeAsync(Object.fromEntries(fromNode.map((leaf) => [allNodesTopic(leaf), { qos: leaf === 'status' ? 0 : 1 }])));
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const t = parseNodeTopic(topic);
    if (!t) {
      this.log.warn({ topic, reason: 'not a node topic' }, 'dropped MQTT message');
      return;
    }
    const { node, leaf } = t;
    let msg: unknown;
    try {
      msg = decode(leaf, payload, topic);
    } catch (err) {
      const reason = err instanceof ProtocolError ? err.message : String(err);
      this.log.warn({ node, topic, reason }, 'dropped malformed message from node');
      return;
    }
    switch (leaf) {
      case 'hello': return this.onHello(node, true);
      case 'status': {
        const m = msg as NodeStatusReport | NodeHeartbeat;
        this.seen(node); // presence does not wait for the node's queue
        if (m.type === 'heartbeat') return this.enqueue(node, 'status', () => this.onHeartbeat(node, m));
        return this.enqueue(node, 'status', () => this.onStatus(node, m));
      }
      case 'podstatus': return this.enqueue(node, 'podstatus', () => this.onPodStatus(node, msg as PodStatusReport));
      case 'presence': return this.onPresence(node, msg as Presence, retained);
      case 'logs/data': this.seen(node); this.logs.receive(node, msg as LogsData); return;
      case 'proxy': this.seen(node); this.opts.onProxyReport?.(node, msg as ProxyReport); return;
      default: this.log.warn({ node, topic, reason: 'unexpected topic' }, 'dropped MQTT message');
    }
  }

  /** Runs fn after the node's earlier work; a failure is one warn line naming the topic it came from. */
  private enqueue(node: string, leaf: 'status' | 'podstatus' | 'presence', fn: () => Promise<void>): void {
    const prev = this.queues.get(node) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => {
      const reason = err instanceof StatusError ? `${err.reason}: ${err.message}` : String(err);
      this.log.warn({ node, topic: nodeTopic(node, leaf), reason }, 'node report not applied');
    });
    this.queues.set(node, next);
    void next.then(() => { if (this.queues.get(node) === next) this.queues.delete(node); });
  }

  private seen(node: string): void {
    this.lastSeen.set(node, this.now());
    this.lost.delete(node);
  }

  /** `reconnected`: a hello from the node itself (not a retained presence seen on (re)subscribing). */
  private onHello(node: string, reconnected: boolean): void {
    this.seen(node);
    if (reconnected) this.reconnected.add(node);
    if (!this.synced) { this.pendingHellos.add(node); return; }
    this.sendSync(node);
    this.services.sync(node);
  }

  /**
   * Heartbeats are ~all alike: what is new is times and readings. A report whose signature
   * (everything else) matches the last one written, with usage inside the deadband, is not
   * written until the refresh is due; usage past the deadband is written without re-reading
   * the Node (labels and taints are as merged last time); anything else, and every refresh,
   * goes through the full register/merge/write.
   */
  private async onStatus(node: string, report: NodeStatusReport): Promise<void> {
    const afterHello = this.reconnected.delete(node);
    const now = this.now();
    const signature = statusSignature(report);
    const last = this.written.get(node);
    const same = last !== undefined && last.signature === signature && last.sig === report.sig && now - last.at < (this.opts.statusRefreshMs ?? 60_000);
    const usage = report.status.usage;
    if (same && !usageMoved(last.usage, usage, this.opts.usageDeadband ?? defaultUsageDeadband)) return;
    this.written.delete(node); // until this write is known to have happened
    if (same) await writeNodeStatus(this.opts.api, node, report);
    else if ((await applyStatusReport(this.opts.api, node, report)).wasUnknown && !afterHello) this.askForPodStatuses(node);
    this.written.set(node, { signature, sig: report.sig, usage, at: same ? last.at : now });
  }

  /**
   * The node was marked unreachable and reports again without having reconnected (a link cut
   * shorter than the broker's keepalive: the agent never noticed), so it will not re-send its
   * pods' statuses by itself, and the node lifecycle controller marked them not ready meanwhile.
   * Asked only now that its Ready status is written: their reports then land on a Node that is
   * Ready (one the controller, which checks live, no longer marks), and undo the marks.
   */
  private askForPodStatuses(node: string): void {
    this.log.info({ node }, 'node reachable again without reconnecting: asking for every pod status');
    if (this.synced) this.send(node, { v: 1, type: 'resend' });
  }

  /**
   * A compact heartbeat: presence (already counted), and usage for the Node when it moved past
   * the deadband or the refresh is due. It applies only on top of the full report whose `sig`
   * it repeats; otherwise (a report missed, the gateway restarted, presence lost since) the
   * node is sent a sync, which it answers with a full report.
   */
  private async onHeartbeat(node: string, hb: NodeHeartbeat): Promise<void> {
    const last = this.written.get(node);
    if (last === undefined || last.sig !== hb.sig) {
      const asked = this.asked.get(node) ?? 0;
      if (this.now() - asked >= askAgainMs) {
        this.asked.set(node, this.now());
        this.log.debug({ node, sig: hb.sig }, 'heartbeat for a status not seen: asking for a full report');
        if (this.synced) this.sendSync(node);
      }
      return;
    }
    const now = this.now();
    const due = now - last.at >= (this.opts.statusRefreshMs ?? 60_000);
    if (!due && !usageMoved(last.usage, hb.usage, this.opts.usageDeadband ?? defaultUsageDeadband)) return;
    this.written.delete(node); // until this write is known to have happened
    const found = await applyHeartbeat(this.opts.api, node, hb.usage);
    if (found) this.written.set(node, { ...last, usage: hb.usage, at: due ? now : last.at });
  }

  private async onPodStatus(node: string, msg: PodStatusReport): Promise<void> {
    this.seen(node);
    // Ahead of the node status the hello promised (it was lost, or the node is older): this
    // one may land on a Node still marked unreachable, so that status write asks again.
    this.reconnected.delete(node);
    try {
      // The pod informer has every pod this gateway sent a node (it sent them from there), so
      // an honest report needs no API read; anything else (an unknown pod) is read to be sure.
      const pod = this.informers.pods.get(msg.namespace, msg.name) ?? await this.opts.api.get(pods, msg.namespace, msg.name);
      if (pod.metadata.uid !== msg.uid || nodeOf(pod) !== node) {
        this.log.warn({ node, topic: nodeTopic(node, 'podstatus'), reason: `pod ${msg.namespace}/${msg.name} (uid ${msg.uid}) is not bound to this node` }, 'dropped pod status from node');
        return;
      }
      if (msg.terminated && pod.metadata.deletionTimestamp !== undefined) {
        await this.opts.api.delete(pods, msg.namespace, msg.name, { gracePeriodSeconds: 0, preconditions: { uid: msg.uid } });
        return;
      }
      await this.opts.api.updateStatus(pods, msg.namespace, { apiVersion: 'v1', kind: 'Pod', metadata: { name: msg.name, namespace: msg.namespace }, status: msg.status });
    } catch (err) {
      if (err instanceof StatusError && err.reason === 'NotFound') return; // gone already: nothing to report on
      throw err;
    }
  }

  private onPresence(node: string, msg: Presence, retained: boolean): void {
    if (msg.state === 'online') {
      this.seen(node);
      // A retained "online" arrives when the gateway (re)subscribes: the node will not say
      // hello again, so it gets its full desired state now. A live one is followed by hello.
      if (retained) this.onHello(node, false);
      return;
    }
    this.lastSeen.delete(node);
    this.services.forget(node);
    this.presenceLost(node, 'the node disconnected (MQTT Last Will)');
  }

  private presenceLost(node: string, why: string): void {
    if (this.lost.has(node)) return;
    this.lost.add(node);
    this.reconnected.delete(node);
    this.logs.failNode(node, why);
    this.log.info({ node, why }, 'node presence lost');
    this.enqueue(node, 'presence', async () => {
      // After this, the node's next report is written in full (it sets Ready back).
      this.written.delete(node);
      await markNodeUnknown(this.opts.api, node, `presence lost: ${why}`);
    });
  }

  /** Marks the nodes silent past the grace as lost. Runs on an interval; tests on a fake clock call it. */
  sweep(): void {
    const limit = this.now() - this.presenceGraceMs;
    for (const [node, at] of this.lastSeen) {
      if (at < limit) {
        this.lastSeen.delete(node);
        this.presenceLost(node, `no heartbeat for ${Math.round(this.presenceGraceMs / 1000)}s`);
      }
    }
  }

  /** Nodes registered before this start count as seen now, so silent ones are marked after the grace. */
  private async trackKnownNodes(): Promise<void> {
    const list = await this.opts.api.list(nodes, undefined);
    const now = this.now();
    for (const n of list.items) if (n.metadata.name && readyStatus(n) === 'True') this.lastSeen.set(n.metadata.name, now);
  }

  // ---- desired state out ---------------------------------------------------------------

  private revision(): number {
    return Math.max(this.informers.pods.revision, this.informers.configMaps.revision, this.informers.secrets.revision);
  }

  private bundleOf(pod: KObject): { bundle: PodBundle; revision: number } {
    return buildBundle(pod, { configMaps: this.informers.configMaps.items, secrets: this.informers.secrets.items });
  }

  private sendSync(node: string): void {
    const bundles: PodBundle[] = [];
    for (const pod of this.informers.pods.items.values()) {
      if (nodeOf(pod) !== node) continue;
      const { bundle } = this.bundleOf(pod);
      bundles.push(bundle);
      this.sent.set(objectKey(pod), { node, uid: pod.metadata.uid ?? '', mark: bundleMark(bundle) });
    }
    this.log.debug({ node, pods: bundles.length }, 'sending full sync');
    this.send(node, { v: 1, type: 'sync', revision: this.revision(), pods: bundles, features: [masterFeatures.heartbeat] });
  }

  private onPod(type: InformerEvent, pod: KObject): void {
    if (!this.synced) return; // the first sync of each node carries the initial state
    this.podChanged(pod, type === 'DELETED');
  }

  private onService(obj: KObject): void {
    if (this.synced) this.services.changed(obj);
  }

  private onReferenced(kind: 'ConfigMap' | 'Secret', obj: KObject): void {
    if (!this.synced) return;
    // Only pods of the object's own namespace can use it. podChanged may publish but does not
    // touch the cache, so iterating the live namespace view is safe.
    for (const pod of this.informers.pods.values(obj.metadata.namespace ?? '')) {
      if (nodeOf(pod) !== undefined && usesObject(pod, kind, obj.metadata.name ?? '')) this.podChanged(pod, false);
    }
  }

  private podChanged(pod: KObject, deleted: boolean): void {
    const key = objectKey(pod);
    const prev = this.sent.get(key);
    const node = deleted ? undefined : nodeOf(pod);
    const uid = pod.metadata.uid ?? '';
    if (prev && (prev.node !== node || prev.uid !== uid)) {
      this.sent.delete(key);
      this.send(prev.node, { v: 1, type: 'delete', revision: this.revision(), namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: prev.uid });
    }
    if (node === undefined) return;
    const { bundle, revision } = this.bundleOf(pod);
    const mark = bundleMark(bundle);
    if (sameBundle(this.sent.get(key)?.mark, mark)) return;
    this.sent.set(key, { node, uid, mark });
    this.send(node, { v: 1, type: 'upsert', revision, bundle });
  }

  private send(node: string, msg: DesiredMessage | ServicesMessage, leaf: 'desired' | 'services' = 'desired'): void {
    this.publish(node, leaf, msg).catch((err: unknown) => this.log.warn({ node, err: String(err) }, `could not publish ${leaf}`));
  }

  private async publish(node: string, leaf: 'desired' | 'services' | 'logs/request', msg: DesiredMessage | ServicesMessage | LogsRequest): Promise<void> {
    if (this.stopped || !this.client) return;
    await this.client.publishAsync(nodeTopic(node, leaf), encode(msg), qos1);
  }
}

/** A broker URL fit for logs: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
