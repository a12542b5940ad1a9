// The cluster controllers the manager runs, in start order.
import type { ControllerFactory } from './manager.js';

export const clusterControllers: ControllerFactory[] = [];
