// The control plane on the gateway: store + API server + MQTT broker + node gateway + controller
// manager + scheduler + the gateway's service proxy. `bramble master` and `bramble up` start it.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiServer } from '../apiserver/server.js';
import type { TokenAuthenticator } from '../apiserver/auth.js';
import { LocalApiClient } from '../apiserver/local-client.js';
import { openStore } from '../apiserver/storage.js';
import { EmbeddedBroker } from '../broker/broker.js';
import { brokerAuthenticator, masterUsername } from '../broker/credentials.js';
import { NodeGateway } from '../nodegateway/gateway.js';
import { SharedInformers } from '../client/informer.js';
import { ControllerManager } from '../controllers/manager.js';
import { LanProvider } from '../controllers/cloud/lan.js';
import type { ControllerConfig } from '../controllers/config.js';
import { EventRecorder } from '../client/events.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { SchedulerConfig } from '../scheduler/config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { loadKubeconfig, writeKubeconfig } from '../client/kubeconfig.js';
import { brambleVersion } from '../version.js';
import type { ServiceRanges } from '../apiserver/service-alloc.js';
import { advertiseAddress, pinnedAddress } from './advertise.js';
import { GatewayProxy, makeGatewayBackend, type MasterProxyMode } from './gateway-proxy.js';
import { ProxyMetrics } from './proxy-metrics.js';

export interface MasterOptions {
  dataDir: string;
  bind?: string;
  apiPort?: number;
  /** Embedded broker port (default 1883; 0 = any free port). Ignored with mqttUrl. */
  mqttPort?: number;
  /** Use this external broker (mqtt://[user:pass@]host:port) instead of embedding one. */
  mqttUrl?: string;
  /** Nodes silent for longer are marked Ready=Unknown (default 40 s). */
  presenceGraceMs?: number;
  /** Controller settings (eviction timeout, event TTL, ...). */
  controllers?: Partial<ControllerConfig>;
  /** Scheduler settings (`scoring: 'spread' | 'binpack'`, back-off, weights, ...). */
  scheduler?: Partial<SchedulerConfig>;
  logger?: Logger;
  /** ClusterIP, NodePort and proxy port ranges (`--service-*-range`). */
  serviceRanges?: Partial<ServiceRanges>;
  /** The gateway's service proxy (default off here; `bramble master` defaults to auto). */
  proxyMode?: MasterProxyMode;
  /** The LAN address LoadBalancer Services get (default: see advertise.ts). */
  advertiseAddress?: string;
  /** Give LoadBalancer Services the advertised address (default: when the gateway runs a proxy; `bramble up`'s local agent serves them too). */
  loadBalancers?: boolean;
}

export interface RunningMaster {
  apiUrl: string;
  /** The broker nodes connect to, without credentials. */
  mqttUrl: string;
  kubeconfigPath: string;
  dataDir: string;
  apiServer: ApiServer;
  /** To mint credentials in process (e.g. `bramble up`'s local agent). */
  tokens: TokenAuthenticator;
  /** Where LoadBalancer Services are served. */
  advertiseAddress: string;
  /** The gateway's service proxy, when it runs one. */
  proxy: GatewayProxy | undefined;
  stop(): Promise<void>;
}

interface BrokerConnection {
  /** Printed and given to nodes: no credentials. */
  publicUrl: string;
  /** What the gateway connects to. */
  url: string;
  username: string;
  password: string;
  broker?: EmbeddedBroker;
}

export async function startMaster(opts: MasterOptions): Promise<RunningMaster> {
  const log = opts.logger ?? createLogger({ name: 'bramble-master' });
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = openStore({ kind: 'level', path: path.join(dataDir, 'store') }, log);
  await store.start();
  const api = new ApiServer({ store, logger: log.child({ component: 'apiserver' }), version: brambleVersion, ...(opts.serviceRanges ? { serviceRanges: opts.serviceRanges } : {}) });
  const bind = opts.bind ?? '127.0.0.1';
  let mqtt: BrokerConnection | undefined;
  let gateway: NodeGateway | undefined;
  let informers: SharedInformers | undefined;
  let controllers: ControllerManager | undefined;
  let scheduler: Scheduler | undefined;
  let proxy: GatewayProxy | undefined;
  let apiUrl: string;
  const advertise = advertiseAddress(opts.advertiseAddress, opts.bind ?? '127.0.0.1');
  const proxyMetrics = new ProxyMetrics(api.metrics.registry);
  try {
    apiUrl = await api.start({ host: bind, port: opts.apiPort ?? 6443 });
    mqtt = opts.mqttUrl !== undefined ? externalBroker(opts.mqttUrl) : await embeddedBroker(api, bind, opts.mqttPort ?? 1883, log);
    // The node gateway, the scheduler and the controllers share one cache per kind, read through the API.
    const local = new LocalApiClient(api.resources, store);
    informers = new SharedInformers(local, log.child({ component: 'informers' }));
    gateway = new NodeGateway({
      mqttUrl: mqtt.url, username: mqtt.username, password: mqtt.password,
      api: local, informers,
      logger: log.child({ component: 'nodegateway' }),
      ...(opts.presenceGraceMs !== undefined ? { presenceGraceMs: opts.presenceGraceMs } : {}),
      onProxyReport: (node, r) => proxyMetrics.observe(node, r),
    });
    informers.start();
    await gateway.start();
    api.podLogs = gateway;
    controllers = new ControllerManager({
      api: local, informers, logger: log.child({ component: 'controller-manager' }),
      // Node tokens are the fleet only where the embedded broker logs nodes in with them.
      config: {
        ...opts.controllers,
        ...(mqtt.broker ? { cloudProvider: new LanProvider(api.tokens) } : {}),
        ...((opts.loadBalancers ?? (opts.proxyMode ?? 'off') !== 'off') ? { loadBalancerAddress: advertise, loadBalancerReservedPorts: reservedPorts(apiUrl, mqtt) } : {}),
      },
    });
    if (opts.proxyMode && opts.proxyMode !== 'off') {
      const plog = log.child({ component: 'proxy' });
      proxy = new GatewayProxy(informers, await makeGatewayBackend(opts.proxyMode, { advertiseAddress: pinnedAddress(opts.advertiseAddress, opts.bind), logger: plog }), plog);
      const backend = proxy.backend;
      const since = new Date().toISOString();
      proxyMetrics.local = () => ({ mode: backend.mode, since, services: backend.counters() });
    }
    await controllers.start();
    scheduler = new Scheduler({
      api: local, informers, logger: log.child({ component: 'scheduler' }),
      events: new EventRecorder({ api: local, component: 'default-scheduler', logger: log.child({ component: 'scheduler' }) }),
      ...(opts.scheduler ? { config: opts.scheduler } : {}),
    });
    await scheduler.start();
    await proxy?.start();
  } catch (err) {
    await proxy?.stop().catch(() => undefined);
    await scheduler?.stop().catch(() => undefined);
    await controllers?.stop().catch(() => undefined);
    await informers?.stop().catch(() => undefined);
    await gateway?.stop().catch(() => undefined);
    await mqtt?.broker?.stop().catch(() => undefined);
    await api.stop().catch(() => undefined);
    await store.stop();
    throw err;
  }
  const kubeconfigPath = path.join(dataDir, 'kubeconfig.yaml');
  await ensureAdminKubeconfig(api, kubeconfigPath, apiUrl, log);

  let stopping: Promise<void> | undefined;
  const started = { gateway, broker: mqtt.broker, informers, controllers, scheduler, proxy };
  return {
    apiUrl,
    mqttUrl: mqtt.publicUrl,
    kubeconfigPath,
    dataDir,
    apiServer: api,
    tokens: api.tokens,
    advertiseAddress: advertise,
    proxy,
    stop: () => {
      stopping ??= (async () => {
        log.info('master stopping');
        api.podLogs = undefined;
        await started.proxy?.stop();
        await started.scheduler.stop();
        await started.controllers.stop();
        await started.informers.stop();
        await started.gateway.stop();
        await started.broker?.stop();
        await api.stop();
        await store.stop();
        log.info('master stopped');
      })();
      return stopping;
    },
  };
}

/** The gateway's own listeners, which no LoadBalancer Service may take. */
function reservedPorts(apiUrl: string, mqtt: BrokerConnection): Record<string, string> {
  const out: Record<string, string> = { [`TCP/${new URL(apiUrl).port}`]: 'the master\'s API server' };
  if (mqtt.broker) out[`TCP/${new URL(mqtt.url).port}`] = 'the master\'s MQTT broker';
  return out;
}

function hostForUrl(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

/** The embedded aedes broker: nodes log in with node tokens, the gateway with a secret made now. */
async function embeddedBroker(api: ApiServer, bind: string, port: number, log: Logger): Promise<BrokerConnection> {
  const secret = randomBytes(24).toString('hex');
  const authenticate = brokerAuthenticator(api.tokens, secret);
  const broker = new EmbeddedBroker({ host: bind, port, logger: log.child({ component: 'broker' }), authenticate });
  const bound = await broker.start();
  const url = `mqtt://${hostForUrl(bind)}:${bound}`;
  return { publicUrl: url, url, username: masterUsername, password: secret, broker };
}

/** An external broker: credentials (if any) come from the URL; auth and ACLs are its job. */
function externalBroker(mqttUrl: string): BrokerConnection {
  let u: URL;
  try {
    u = new URL(mqttUrl);
  } catch {
    throw new Error(`--mqtt-url: not a URL: expected mqtt://[user:pass@]host:port`);
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new Error(`--mqtt-url: unsupported scheme "${u.protocol}": use mqtt:// or mqtts://`);
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const url = `${u.protocol}//${u.host}`;
  return { publicUrl: url, url, username, password };
}

/**
 * The admin credential lives only in the kubeconfig: reuse the token there if it still
 * works (pointing it at the current URL), else mint a new admin token and write a new file.
 */
async function ensureAdminKubeconfig(api: ApiServer, file: string, server: string, log: Logger): Promise<void> {
  if (existsSync(file)) {
    try {
      const kc = await loadKubeconfig(file);
      if (kc.token && api.tokens.authenticate(kc.token)?.roles.includes('admin')) {
        if (kc.server !== server) await writeKubeconfig(file, { server, token: kc.token });
        return;
      }
    } catch (err) {
      log.warn({ err, file }, 'existing kubeconfig unreadable; writing a new one');
    }
  }
  const token = await api.tokens.create({ user: 'admin', roles: ['admin'], description: 'made at first start for the kubeconfig' });
  await writeKubeconfig(file, { server, token });
  log.info({ file }, 'admin kubeconfig written');
}
