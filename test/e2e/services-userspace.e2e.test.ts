// The Services end-to-end suite (services-suite.ts) with every proxy in userspace mode: the agents'
// and the gateway's (the master runs in a namespace of its own, so the host is never changed).
import { servicesSuite } from './services-suite.js';

servicesSuite('userspace');
