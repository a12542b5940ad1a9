// The `lan` provider's service controller: on a LAN there is no cloud load balancer, so a
// Service of type LoadBalancer is served by the gateway itself — its ingress is the master's
// advertised address with `ipMode: Proxy`, and the master's proxy (or `bramble up`'s local
// agent) serves it at that address and the service port. One gateway address means one owner
// per port and protocol: the Service that claimed it first (oldest, then by name) keeps it; a
// later one gets no ingress and a Warning Event naming the owner, and gets it once freed.
import { resourceByKind, type ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import { objectKey, type Informer } from '../../client/informer.js';
import { isConflict, isNotFound, ReconcileLoop, type Controller, type ControllerContext } from '../controller.js';
import type { ControllerConfig } from '../config.js';
import type { ControllerFactory } from '../manager.js';

const servicesType = resourceByKind('v1', 'Service') as ResourceType;

interface Ingress { ip: string; ipMode: 'Proxy' }
interface SvcSpec { type?: string; ports?: { port: number; protocol?: string }[] }

export interface LbDecision {
  /** The ingress the Service should show ([] = none). */
  ingress: Ingress[];
  /** Set when a port is taken: what is taken and by whom. */
  conflict?: { port: number; protocol: string; owner: string };
}

const isLB = (s: KObject): boolean => (s.spec as SvcSpec | undefined)?.type === 'LoadBalancer' && s.metadata.deletionTimestamp === undefined;

/** Claims in creation order (then by key, for equal timestamps). */
function byAge(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0;
}

/**
 * What every LoadBalancer Service should show, given the gateway address and the ports the
 * gateway itself listens on there (`TCP/6443` → "the master's API server"). Pure.
 */
export function planLoadBalancers(services: Iterable<KObject>, address: string, reserved: ReadonlyMap<string, string> = new Map()): Map<string, LbDecision> {
  const owners = new Map<string, string>(reserved);
  const out = new Map<string, LbDecision>();
  for (const svc of [...services].filter(isLB).sort(byAge)) {
    const key = objectKey(svc);
    const ports = ((svc.spec as SvcSpec).ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP' }));
    const taken = ports.find((p) => owners.has(`${p.protocol}/${p.port}`));
    if (taken) {
      out.set(key, { ingress: [], conflict: { ...taken, owner: owners.get(`${taken.protocol}/${taken.port}`)! } });
      continue;
    }
    for (const p of ports) owners.set(`${p.protocol}/${p.port}`, key);
    out.set(key, { ingress: [{ ip: address, ipMode: 'Proxy' }] });
  }
  return out;
}

function currentIngress(svc: KObject): unknown[] {
  return ((svc.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress) ?? [];
}

/** One reconcile key: claims are decided across all Services at once. */
const allKey = 'all';

export class ServiceLoadBalancerController implements Controller {
  readonly name = 'service-lb';
  private readonly loop: ReconcileLoop;
  private readonly services: Informer;
  private unsubscribe: (() => void) | undefined;
  /** Conflicts already reported (key → owner), so each costs one Event, not one per pass. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext, private readonly address: string, private readonly reserved: ReadonlyMap<string, string> = new Map()) {
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: () => this.reconcile(), workers: 1 });
    this.services = ctx.informers.for(servicesType);
  }

  start(): void {
    this.unsubscribe = this.services.on(() => this.loop.enqueue(allKey));
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop();
  }

  async reconcile(): Promise<void> {
    const plan = planLoadBalancers(this.services.items.values(), this.address, this.reserved);
    for (const svc of this.services.items.values()) {
      const key = objectKey(svc);
      const d = plan.get(key) ?? { ingress: [] };
      this.report(svc, d);
      // Only ingress this controller would set is cleared from a Service no longer a LoadBalancer.
      if (!plan.has(key) && !currentIngress(svc).some((i) => (i as { ip?: string }).ip === this.address)) continue;
      if (JSON.stringify(currentIngress(svc)) === JSON.stringify(d.ingress)) continue;
      await this.write(svc, d.ingress);
    }
    for (const key of this.reported.keys()) if (!plan.get(key)?.conflict) this.reported.delete(key);
  }

  private report(svc: KObject, d: LbDecision): void {
    const key = objectKey(svc);
    if (!d.conflict || this.reported.get(key) === d.conflict.owner) return;
    this.reported.set(key, d.conflict.owner);
    const { port, protocol, owner } = d.conflict;
    const by = this.reserved.get(`${protocol}/${port}`) === owner ? owner : `LoadBalancer Service ${owner}`;
    this.ctx.events.record(svc, 'Warning', 'LoadBalancerPortInUse', `port ${port}/${protocol} on the gateway ${this.address} is already used by ${by}; this Service gets no ingress until it is free`);
  }

  private async write(svc: KObject, ingress: Ingress[]): Promise<void> {
    const status = { ...(svc.status ?? {}), loadBalancer: ingress.length > 0 ? { ingress } : {} };
    try {
      await this.ctx.api.updateStatus(servicesType, svc.metadata.namespace, { ...svc, status });
    } catch (err) {
      // Gone, or changed meanwhile: the informer brings the news and another pass.
      if (isNotFound(err)) return;
      if (isConflict(err)) { this.loop.enqueue(allKey); return; }
      throw err;
    }
  }
}

export const serviceLoadBalancerController: ControllerFactory = {
  name: 'service-lb',
  make: (ctx, config: ControllerConfig) => {
    // Without a gateway address (no proxy on the gateway to serve it) LoadBalancer Services stay pending.
    if (!config.loadBalancerAddress) return { name: 'service-lb', start: () => undefined, stop: async () => undefined };
    const reserved = new Map(Object.entries(config.loadBalancerReservedPorts ?? {}));
    return new ServiceLoadBalancerController(ctx, config.loadBalancerAddress, reserved);
  },
};
