// The namespace controller, as Kubernetes': the API server marks a deleted namespace
// Terminating (deletionTimestamp, phase, the `kubernetes` finalizer in spec.finalizers) and
// refuses new content in it; this controller deletes everything in it through the API, then
// removes the finalizer, and the API server removes the namespace.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { objectKey } from '../client/informer.js';
import { isNotFound, ReconcileLoop, splitKey, type Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import type { ControllerFactory } from './manager.js';
import { isTerminating, namespaceFinalizer, namespacedTypes, planCleanup, specFinalizers, type NamespaceContents } from './namespace-cleanup.js';

const namespacesType = resourceByKind('v1', 'Namespace') as ResourceType;

/** Soon after deleting (most objects go at once); slower while only terminating pods remain. */
const afterDeleteMs = 100;
const whileWaitingMs = 1000;

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly loop: ReconcileLoop;
  private readonly namespaces: Informer;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.for(namespacesType);
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
  }

  start(): void {
    this.unsubscribe = this.namespaces.on((type, obj) => {
      if (type !== 'DELETED' && isTerminating(obj)) this.loop.enqueue(objectKey(obj));
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop();
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { name } = splitKey(key);
    const ns = this.namespaces.get(undefined, name);
    if (!ns || !isTerminating(ns)) return {};
    const contents: NamespaceContents[] = [];
    for (const rt of namespacedTypes) contents.push({ rt, items: (await this.ctx.api.list(rt, name)).items });
    const plan = planCleanup(contents);
    if (plan.action === 'wait') return { requeueAfterMs: whileWaitingMs };
    if (plan.action === 'delete') {
      for (const o of plan.objects) await this.deleteIgnoringGone(o.rt, name, o.name);
      return { requeueAfterMs: afterDeleteMs };
    }
    return await this.finalize(ns);
  }

  private async deleteIgnoringGone(rt: ResourceType, ns: string | undefined, name: string): Promise<void> {
    try {
      await this.ctx.api.delete(rt, ns, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Empty: remove our finalizer (the API server then removes the namespace). */
  private async finalize(ns: KObject): Promise<ReconcileResult> {
    const name = ns.metadata.name ?? '';
    const finalizers = specFinalizers(ns);
    if (!finalizers.includes(namespaceFinalizer)) {
      // Marked Terminating without our finalizer (by an older master): deleting again adds it.
      if (finalizers.length === 0) await this.deleteIgnoringGone(namespacesType, undefined, name);
      return { requeueAfterMs: whileWaitingMs };
    }
    const rest = finalizers.filter((f) => f !== namespaceFinalizer);
    // The cached resourceVersion is a precondition: a namespace changed meanwhile is retried as it now is.
    await this.ctx.api.update(namespacesType, undefined, { ...ns, spec: { ...(ns.spec as object | undefined), finalizers: rest } });
    this.ctx.logger.info({ namespace: name }, rest.length === 0 ? 'namespace emptied; deleted' : 'namespace emptied; other finalizers remain');
    return {};
  }
}

export const namespaceController: ControllerFactory = {
  name: 'namespace',
  make: (ctx) => new NamespaceController(ctx),
};
