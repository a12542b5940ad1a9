// The controller manager: every controller of the cluster in one component, sharing one
// informer per kind and one event recorder, all through the API (never the store).
import type { ApiInterface } from '../client/api.js';
import { EventRecorder } from '../client/events.js';
import { SharedInformers } from '../client/informer.js';
import type { Logger } from '../log/logger.js';
import { clusterControllers } from './cluster-controllers.js';
import { defaultControllerConfig, type ControllerConfig } from './config.js';
import type { Controller, ControllerContext } from './controller.js';
import { workloadControllers } from './workload-controllers.js';

export interface ControllerFactory {
  name: string;
  make: (ctx: ControllerContext, config: ControllerConfig) => Controller;
}

export interface ControllerManagerOptions {
  api: ApiInterface;
  logger: Logger;
  /** Shared with the scheduler when both run in one master; made here otherwise. */
  informers?: SharedInformers;
  config?: Partial<ControllerConfig>;
  /** Run only these controllers (by name); default all. */
  only?: string[];
  now?: () => number;
}

export class ControllerManager {
  readonly informers: SharedInformers;
  readonly controllers: Controller[];
  private readonly ownInformers: boolean;

  constructor(private readonly opts: ControllerManagerOptions) {
    this.ownInformers = opts.informers === undefined;
    this.informers = opts.informers ?? new SharedInformers(opts.api, opts.logger);
    const config = { ...defaultControllerConfig, ...opts.config };
    const events = new EventRecorder({ api: opts.api, component: 'controller-manager', logger: opts.logger, ...(opts.now ? { now: opts.now } : {}) });
    const only = opts.only ? new Set(opts.only) : undefined;
    const ctx: ControllerContext = { api: opts.api, informers: this.informers, events, logger: opts.logger, now: opts.now ?? Date.now };
    this.controllers = [...workloadControllers, ...clusterControllers]
      .filter((f) => !only || only.has(f.name))
      .map((f) => f.make({ ...ctx, events: events.forComponent(f.name), logger: opts.logger.child({ controller: f.name }) }, config));
  }

  async start(): Promise<void> {
    for (const c of this.controllers) c.start();
    if (this.ownInformers) this.informers.start();
    await this.informers.synced();
    this.opts.logger.info({ controllers: this.controllers.map((c) => c.name) }, 'controller manager started');
  }

  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    if (this.ownInformers) await this.informers.stop();
  }
}
