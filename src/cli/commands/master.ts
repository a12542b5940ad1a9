// `bramble master` and `bramble up`: run the control plane in this process until Ctrl-C.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';

export interface MasterFlags {
  dataDir?: string;
  bind: string;
  apiPort: number;
  mqttPort: number;
  mqttUrl?: string;
  podEvictionTimeout?: number;
  eventTtl?: number;
  schedulerScoring?: 'spread' | 'binpack';
  /** The gateway's proxy (`master`), or the local agent's (`up`). */
  proxyMode?: 'auto' | 'iptables' | 'userspace' | 'off';
  advertiseAddress?: string;
  serviceClusterIpRange?: string;
  serviceNodePortRange?: string;
  serviceProxyPortRange?: string;
}

function parseMasterProxyMode(value: string): NonNullable<MasterFlags['proxyMode']> {
  if (value !== 'auto' && value !== 'iptables' && value !== 'userspace' && value !== 'off') throw new InvalidArgumentError('expected auto, iptables, userspace or off.');
  return value;
}

/** The Service ranges given on the command line (checked by the API server, which names the bad one). */
export function serviceRanges(flags: MasterFlags): { clusterIPRange?: string; nodePortRange?: string; proxyPortRange?: string } {
  return {
    ...(flags.serviceClusterIpRange !== undefined ? { clusterIPRange: flags.serviceClusterIpRange } : {}),
    ...(flags.serviceNodePortRange !== undefined ? { nodePortRange: flags.serviceNodePortRange } : {}),
    ...(flags.serviceProxyPortRange !== undefined ? { proxyPortRange: flags.serviceProxyPortRange } : {}),
  };
}

/** What `master` and `up` both pass to startMaster from the Service and proxy flags. */
export function serviceSettings(flags: MasterFlags): { serviceRanges: ReturnType<typeof serviceRanges>; advertiseAddress?: string } {
  return { serviceRanges: serviceRanges(flags), ...(flags.advertiseAddress !== undefined ? { advertiseAddress: flags.advertiseAddress } : {}) };
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free port).');
  return n;
}

function seconds(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min) throw new InvalidArgumentError(`expected a whole number of seconds${min > 0 ? ` from ${min}` : ''}.`);
    return n;
  };
}

/** The controller settings given on the command line; the rest keep their defaults (docs/controllers.md). */
export function controllerSettings(flags: MasterFlags): { podEvictionTimeoutSeconds?: number; eventTTLSeconds?: number } {
  return {
    ...(flags.podEvictionTimeout !== undefined ? { podEvictionTimeoutSeconds: flags.podEvictionTimeout } : {}),
    ...(flags.eventTtl !== undefined ? { eventTTLSeconds: flags.eventTtl } : {}),
  };
}

function scoring(value: string): 'spread' | 'binpack' {
  if (value !== 'spread' && value !== 'binpack') throw new InvalidArgumentError('expected spread (least allocated: even load) or binpack (most allocated: idle Pis can be powered down).');
  return value;
}

/** The scheduler settings given on the command line (docs/scheduling.md). */
export function schedulerSettings(flags: MasterFlags): { scoring?: 'spread' | 'binpack' } {
  return flags.schedulerScoring !== undefined ? { scoring: flags.schedulerScoring } : {};
}

export function defaultDataDir(): string {
  return path.join(homedir(), '.bramble');
}

/** What `master` and `up` print on stdout once the API is listening. Tests and scripts parse these lines: keep them stable. */
export function readyLines(r: { apiUrl: string; kubeconfigPath: string; dataDir: string; mqttUrl: string }): string[] {
  return [
    `API server: ${r.apiUrl}`,
    `Kubeconfig: ${r.kubeconfigPath}`,
    `Data dir: ${r.dataDir}`,
    `MQTT broker: ${r.mqttUrl}`,
    'Ready. Press Ctrl-C to stop.',
  ];
}

export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      // A second Ctrl-C while stopping means "now".
      process.once('SIGINT', () => process.exit(130));
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runMaster(flags: MasterFlags): Promise<number> {
  // Loaded on demand: client commands should not pay for (or depend on) the whole control plane.
  const { startMaster } = await import('../../master/master.js');
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const running = await startMaster({
    dataDir, bind: flags.bind, apiPort: flags.apiPort, mqttPort: flags.mqttPort, controllers: controllerSettings(flags), scheduler: schedulerSettings(flags),
    ...(flags.mqttUrl !== undefined ? { mqttUrl: flags.mqttUrl } : {}),
    ...serviceSettings(flags), proxyMode: flags.proxyMode ?? 'auto',
  });
  process.stdout.write(`${readyLines(running).join('\n')}\n`);
  await untilSignal();
  await running.stop();
  return 0;
}

export function addMasterFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'where the store, kubeconfig and credentials live (default: ~/.bramble)')
    .option('--bind <address>', 'address the API server and MQTT broker listen on', '127.0.0.1')
    .option('--api-port <port>', 'API server port (0: any free port)', parsePort, 6443)
    .option('--mqtt-port <port>', 'MQTT broker port (0: any free port)', parsePort, 1883)
    .option('--mqtt-url <url>', 'use this external MQTT broker (mqtt://[user:pass@]host:port) instead of the embedded one; see docs/protocol.md')
    .option('--pod-eviction-timeout <seconds>', 'how long pods stay on an unreachable node before they are evicted, unless they tolerate it otherwise (default 900)', seconds(0))
    .option('--event-ttl <seconds>', 'Events older than this are deleted (default 3600)', seconds(1))
    .option('--scheduler-scoring <strategy>', 'spread: prefer the least allocated nodes; binpack: fill nodes up so idle ones can be powered down (default spread)', scoring)
    .option('--proxy-mode <mode>', 'service proxy on this gateway (NodePorts, LoadBalancer Services): iptables (needs root), userspace, auto (iptables when usable), or off (default auto); with `up`, the local agent\'s', parseMasterProxyMode)
    .option('--advertise-address <ip>', 'this gateway\'s LAN address, given to LoadBalancer Services (default: --bind unless 0.0.0.0 or loopback, else the first non-internal IPv4 address)')
    .option('--service-cluster-ip-range <cidr>', 'IPv4 CIDR ClusterIPs are allocated from (default 10.96.0.0/16)')
    .option('--service-node-port-range <first-last>', 'NodePort range (default 30000-32767)')
    .option('--service-proxy-port-range <first-last>', 'ports the userspace proxy serves services on for pods (default 20000-29999)');
}
