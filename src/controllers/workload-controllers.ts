// The workload controllers the manager runs, in start order.
import type { ControllerFactory } from './manager.js';
import { DaemonSetController } from './daemonset-controller.js';
import { DeploymentController } from './deployment-controller.js';
import { ReplicaSetController } from './replicaset-controller.js';

export const workloadControllers: ControllerFactory[] = [
  { name: 'replicaset', make: (ctx) => new ReplicaSetController(ctx) },
  { name: 'deployment', make: (ctx) => new DeploymentController(ctx) },
  { name: 'daemonset', make: (ctx) => new DaemonSetController(ctx) },
];
