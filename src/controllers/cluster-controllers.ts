// The cluster controllers the manager runs, in start order.
import { eventTTLController } from './event-ttl.js';
import type { ControllerFactory } from './manager.js';
import { namespaceController } from './namespace.js';
import { nodeLifecycleController } from './node-lifecycle.js';

export const clusterControllers: ControllerFactory[] = [
  nodeLifecycleController,
  namespaceController,
  eventTTLController,
];
