// Namespace lifecycle: a deleted namespace is Terminating until everything in it is gone,
// then it is removed. (Runs inside the API server until the controller manager exists.)
import { resourceByKind, resourceTypes, type ResourceType } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { Logger } from '../log/logger.js';
import type { ResourceService } from './resources.js';

export class NamespaceLifecycle {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private readonly namespaced: readonly ResourceType[] = resourceTypes.filter((r) => r.namespaced);

  constructor(private readonly resources: ResourceService, private readonly log: Logger, private readonly retryMs = 1000) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Look for terminating namespaces now (called after a namespace delete). */
  kick(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.running = true;
    this.sweep()
      .then((pending) => { if (pending && !this.stopped) this.timer = setTimeout(() => this.kick(), this.retryMs); })
      .catch((err: unknown) => {
        this.log.warn({ err }, 'namespace cleanup failed; retrying');
        if (!this.stopped) this.timer = setTimeout(() => this.kick(), this.retryMs);
      })
      .finally(() => { this.running = false; });
  }

  /** One pass; true if some namespace is still terminating. */
  private async sweep(): Promise<boolean> {
    const nsType = resourceByKind('v1', 'Namespace')!;
    const list = await this.resources.list(nsType, undefined);
    let pending = false;
    for (const ns of list.items) {
      if ((ns.status as { phase?: string } | undefined)?.phase !== 'Terminating') continue;
      const name = ns.metadata.name!;
      await this.emptyNamespace(name);
      if (await this.resources.finishNamespaceIfEmpty(name, this.namespaced)) this.log.info({ namespace: name }, 'namespace deleted');
      else pending = true;
    }
    return pending;
  }

  private async emptyNamespace(ns: string): Promise<void> {
    for (const rt of this.namespaced) {
      const { items } = await this.resources.list(rt, ns);
      for (const obj of items) {
        if (obj.metadata.deletionTimestamp !== undefined) continue;
        try {
          await this.resources.delete(rt, ns, obj.metadata.name!);
        } catch (err) {
          if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
        }
      }
    }
  }
}
