// The proxy inside the master: the gateway serves NodePorts and LoadBalancer addresses like any
// node, fed straight from the master's shared informers (Services and Endpoints) rather than
// over MQTT. Syncs are coalesced (src/proxy/coalesce.ts): the latest state wins.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { SharedInformers } from '../client/informer.js';
import type { Logger } from '../log/logger.js';
import { SyncLoop } from '../proxy/coalesce.js';
import { proxyStateFrom } from '../proxy/state.js';
import type { ProxyBackend } from '../proxy/types.js';

const servicesType = resourceByKind('v1', 'Service') as ResourceType;
const endpointsType = resourceByKind('v1', 'Endpoints') as ResourceType;

export class GatewayProxy {
  private readonly loop: SyncLoop;
  private readonly unsubscribe: (() => void)[] = [];
  private started = false;

  constructor(private readonly informers: SharedInformers, readonly backend: ProxyBackend, private readonly log: Logger) {
    const services = informers.for(servicesType);
    const endpoints = informers.for(endpointsType);
    this.loop = new SyncLoop({
      run: () => backend.sync(proxyStateFrom(services.items.values(), endpoints.items.values())),
      onError: (err) => log.warn({ err }, 'gateway proxy sync failed; retrying'),
    });
  }

  /** Backend syncs run (tests). */
  get syncs(): number {
    return this.loop.runs;
  }

  /** Starts the backend, then follows the informers (call before or after they start). */
  async start(): Promise<void> {
    await this.backend.start();
    this.started = true;
    const kick = (): void => this.loop.kick();
    for (const rt of [servicesType, endpointsType]) this.unsubscribe.push(this.informers.for(rt).on(kick));
    // The first sync waits for both caches: an early one would briefly serve services without endpoints.
    await Promise.all([this.informers.for(servicesType).synced, this.informers.for(endpointsType).synced]);
    this.loop.kick();
    this.loop.start();
    this.log.info({ mode: this.backend.mode }, 'gateway proxy started');
  }

  /** Resolves when no sync is in flight or wanted (tests). */
  settled(): Promise<void> {
    return this.loop.settled();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
    await this.backend.stop().catch((err: unknown) => this.log.warn({ err }, 'stopping the gateway proxy failed'));
  }
}

export type MasterProxyMode = 'auto' | 'iptables' | 'userspace' | 'off';

/**
 * The gateway's backend for `--proxy-mode`. Userspace: NodePorts on the address the user named
 * (--advertise-address, or a LAN --bind), else on every address; LoadBalancer ingress (the advertised address) is served
 * as an external IP of this host. No service address: no pods run inside the master.
 */
export async function makeGatewayBackend(mode: Exclude<MasterProxyMode, 'off'>, o: { advertiseAddress: string | undefined; logger: Logger }): Promise<ProxyBackend> {
  const { detectProxyMode } = await import('../proxy/mode.js');
  const chosen = await detectProxyMode(mode, o.logger);
  if (chosen === 'iptables') {
    const { IptablesProxy } = await import('../proxy/iptables/proxy.js');
    return new IptablesProxy({ logger: o.logger });
  }
  const { UserspaceProxy } = await import('../proxy/userspace/backend.js');
  return new UserspaceProxy({ nodeAddresses: o.advertiseAddress ? [o.advertiseAddress] : ['0.0.0.0'], logger: o.logger.child({ mode: 'userspace' }) });
}
