// The service-account controller: every namespace that is not terminating has a `default`
// ServiceAccount (pods that name none run as it). Reconciles per namespace name.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import type { Controller, ControllerContext } from './controller.js';
import { isAlreadyExists, isForbidden, isNotFound, ReconcileLoop } from './controller.js';
import type { ControllerFactory } from './manager.js';

const namespacesType = resourceByKind('v1', 'Namespace') as ResourceType;
const serviceAccountsType = resourceByKind('v1', 'ServiceAccount') as ResourceType;

export const defaultServiceAccountName = 'default';

/** The ServiceAccounts to create in a namespace, given the names that exist there. */
export function missingServiceAccounts(ns: KObject, existing: ReadonlySet<string>): string[] {
  const terminating = ns.metadata.deletionTimestamp !== undefined || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating';
  if (terminating || existing.has(defaultServiceAccountName)) return [];
  return [defaultServiceAccountName];
}

export function serviceAccountObject(namespace: string, name: string): KObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

export class ServiceAccountsController implements Controller {
  readonly name = 'serviceaccount';
  private readonly loop: ReconcileLoop;
  private readonly namespaces: Informer;
  private readonly accounts: Informer;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (k) => this.reconcile(k) });
    this.namespaces = ctx.informers.for(namespacesType);
    this.accounts = ctx.informers.for(serviceAccountsType);
  }

  start(): void {
    this.unsubscribe.push(
      this.namespaces.on((t, ns) => { if (t !== 'DELETED') this.loop.enqueue(ns.metadata.name ?? ''); }),
      // A deleted `default` comes back, as in Kubernetes.
      this.accounts.on((t, sa) => { if (t === 'DELETED') this.loop.enqueue(sa.metadata.namespace ?? ''); }),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.get(undefined, namespace);
    if (!ns) return;
    const existing = new Set(this.accounts.list(namespace).map((sa) => sa.metadata.name ?? ''));
    for (const name of missingServiceAccounts(ns, existing)) {
      try {
        await this.ctx.api.create(serviceAccountsType, namespace, serviceAccountObject(namespace, name));
        this.ctx.logger.debug({ namespace, name }, 'service account created');
      } catch (err) {
        // Already there (the cache was behind) or the namespace went meanwhile: nothing to do.
        if (isAlreadyExists(err) || isNotFound(err) || isForbidden(err)) continue;
        throw err;
      }
    }
  }
}

export const serviceAccountsController: ControllerFactory = {
  name: 'serviceaccount',
  make: (ctx) => new ServiceAccountsController(ctx),
};
