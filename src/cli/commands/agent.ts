// `bramble agent`: run a worker (kubelet) that dials the master over MQTT until Ctrl-C/SIGTERM.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { defaultDataDir } from './master.js';

export interface AgentFlags {
  master: string;
  token?: string;
  name?: string;
  dataDir?: string;
  nodeIp?: string;
  runtime: 'docker' | 'fake';
  dockerSocket?: string;
  proxyMode: ProxyModeFlag;
}

export type ProxyModeFlag = 'auto' | 'iptables' | 'userspace';

export function parseProxyMode(value: string): ProxyModeFlag {
  if (value !== 'auto' && value !== 'iptables' && value !== 'userspace') throw new InvalidArgumentError('expected "auto", "iptables" or "userspace".');
  return value;
}

export const proxyModeHelp = 'service proxy: iptables (packet filter rules; needs root), userspace (forwarding in this process), or auto (iptables when usable)';

function parseRuntime(value: string): 'docker' | 'fake' {
  if (value !== 'docker' && value !== 'fake') throw new InvalidArgumentError('expected "docker" or "fake".');
  return value;
}

function parseMasterUrl(value: string): string {
  if (!/^(mqtts?|wss?|tcp):\/\/[^/]+/.test(value)) throw new InvalidArgumentError('expected an MQTT URL such as mqtt://192.168.1.2:1883.');
  return value;
}

/** Shared by src/cli/main.ts and the lean agent path in bin/bramble.js. */
export const agentDescription = 'run a worker: start pods the master assigns to this node, over MQTT, until Ctrl-C';

export function addAgentFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--master <url>', 'the master\'s MQTT broker, e.g. mqtt://192.168.1.2:1883', parseMasterUrl)
    .option('--token <token>', 'this node\'s token (default: $BRAMBLE_NODE_TOKEN)')
    .option('--name <name>', 'node name (default: the hostname, lowercased)')
    .option('--data-dir <dir>', 'local state and pod volumes (default: ~/.bramble/agent)')
    .option('--node-ip <ip>', 'the node\'s InternalIP, where pod ports are published (default: the local address towards the master)')
    .option('--runtime <runtime>', 'container runtime: docker, or fake (in memory, nothing runs)', parseRuntime, 'docker')
    .option('--docker-socket <path>', 'Docker Engine socket (default /var/run/docker.sock)')
    .option('--proxy-mode <mode>', proxyModeHelp, parseProxyMode, 'auto');
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      process.once('SIGINT', () => process.exit(130)); // a second Ctrl-C: now
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runAgent(flags: AgentFlags): Promise<number> {
  const token = flags.token ?? process.env.BRAMBLE_NODE_TOKEN;
  if (!token) throw new InvalidArgumentError('a node token is needed: --token TOKEN or $BRAMBLE_NODE_TOKEN (make one on the master with "bramble token create").');
  const { hostname } = await import('node:os');
  const name = flags.name ?? hostname().toLowerCase();
  const dataDir = path.resolve(flags.dataDir ?? path.join(defaultDataDir(), 'agent'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Loaded on demand: client commands never pay for the agent.
  const [{ startAgent }, { createLogger }] = await Promise.all([import('../../agent/agent.js'), import('../../log/logger.js')]);
  const logger = createLogger({ name: 'bramble-agent' });
  const agent = await startAgent({
    nodeName: name, masterUrl: flags.master, token, dataDir, nodeIP: flags.nodeIp, runtime: flags.runtime, logger, proxyMode: flags.proxyMode,
    ...(flags.dockerSocket ? { dockerSocket: flags.dockerSocket } : {}),
  });
  process.stdout.write(`Agent ${name} → ${flags.master} (runtime ${flags.runtime}, data ${dataDir}). Press Ctrl-C to stop.\n`);
  await untilSignal();
  await agent.stop();
  logger.flush();
  return 0;
}
