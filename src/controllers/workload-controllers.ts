// The workload controllers the manager runs, in start order.
import type { ControllerFactory } from './manager.js';
import { ReplicaSetController } from './replicaset-controller.js';

export const workloadControllers: ControllerFactory[] = [
  { name: 'replicaset', make: (ctx) => new ReplicaSetController(ctx) },
];
