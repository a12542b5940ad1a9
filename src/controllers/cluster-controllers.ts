// The cluster controllers the manager runs, in start order.
import { serviceLoadBalancerController } from './cloud/service-lb.js';
import { endpointsController } from './endpoints.js';
import { eventTTLController } from './event-ttl.js';
import { garbageCollectorController } from './garbage-collector.js';
import type { ControllerFactory } from './manager.js';
import { namespaceController } from './namespace.js';
import { nodeLifecycleController } from './node-lifecycle.js';
import { serviceAccountsController } from './serviceaccounts.js';
import { tokensController } from './tokens.js';

export const clusterControllers: ControllerFactory[] = [
  nodeLifecycleController,
  namespaceController,
  eventTTLController,
  garbageCollectorController,
  endpointsController,
  serviceLoadBalancerController,
  serviceAccountsController,
  tokensController,
];
