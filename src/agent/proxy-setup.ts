// `--proxy-mode auto|iptables|userspace` → the proxy backend an agent runs and where its pods
// reach services. Backends are loaded only when chosen (a Pi Zero pays for one, not both).
import type { Logger } from '../log/logger.js';
import type { RequestedProxyMode } from '../proxy/mode.js';
import type { ContainerRuntime } from './runtime/runtime.js';
import type { AgentProxy } from './services.js';

export interface ProxySetupOptions {
  requested: RequestedProxyMode;
  runtime: ContainerRuntime;
  /** The node's address when given (--node-ip): NodePorts are served there only. */
  nodeIP: string | undefined;
  /** The node's best-guess address, for pods when the runtime has no address of its own. */
  fallbackIP: string;
  logger: Logger;
}

/** Where pods reach the userspace proxy: the runtime's address for containers (Docker's bridge gateway), else the node's. */
async function podFacingAddress(o: ProxySetupOptions): Promise<string> {
  try {
    const a = await o.runtime.serviceAddress?.();
    if (a) return a;
  } catch (err) {
    o.logger.warn({ err: (err as Error).message }, 'the runtime did not say where containers reach this node; using the node address');
  }
  return o.nodeIP ?? o.fallbackIP;
}

export async function makeAgentProxy(o: ProxySetupOptions): Promise<AgentProxy> {
  const { detectProxyMode } = await import('../proxy/mode.js');
  const mode = await detectProxyMode(o.requested, o.logger);
  if (mode === 'iptables') {
    const { IptablesProxy } = await import('../proxy/iptables/proxy.js');
    return { backend: new IptablesProxy({ logger: o.logger }), envTarget: { mode: 'iptables' } };
  }
  const { UserspaceProxy } = await import('../proxy/userspace/backend.js');
  const serviceAddress = await podFacingAddress(o);
  // NodePorts answer on the node's LAN address: all addresses unless --node-ip pins one (several
  // agents on one host, each with its own address, must not collide on 0.0.0.0).
  const nodeAddresses = o.nodeIP ? [o.nodeIP] : ['0.0.0.0'];
  o.logger.info({ nodeAddresses, serviceAddress }, 'userspace proxy: NodePorts on the node addresses, services for pods on the service address');
  return {
    backend: new UserspaceProxy({ nodeAddresses, serviceAddress, logger: o.logger.child({ component: 'proxy', mode: 'userspace' }) }),
    envTarget: { mode: 'userspace', address: serviceAddress },
  };
}
