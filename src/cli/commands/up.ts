// `bramble up`: the embedded default — a master and a local agent in one process, so this
// machine runs pods too. Where no Docker Engine is reachable the agent still starts and
// registers (its Node is NotReady, saying why), and the first screen says the same.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { createLogger } from '../../log/logger.js';
import { controllerSettings, defaultDataDir, schedulerSettings, serviceSettings, readyLines, untilSignal, type MasterFlags } from './master.js';

export interface UpFlags extends MasterFlags {
  nodeName?: string;
  runtime: 'docker' | 'fake';
  dockerSocket?: string;
}

export function parseUpRuntime(value: string): UpFlags['runtime'] {
  if (value !== 'docker' && value !== 'fake') throw new InvalidArgumentError('expected docker or fake.');
  return value;
}

/** A node name from the host name: lower case, DNS-1123, never empty. */
export function localNodeName(host = hostname()): string {
  const name = host.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 63);
  return name === '' ? 'local' : name;
}

interface TokenIssuer {
  authenticate(token: string): { roles: string[]; node?: string } | undefined;
  create(o: { user: string; roles: ['node']; node: string; description: string }): Promise<string>;
}

/** The local agent's credential: kept (0600) beside the agent's state and reused while valid. */
async function localAgentToken(tokens: TokenIssuer, dir: string, node: string): Promise<string> {
  const file = path.join(dir, 'node-token');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (tokens.authenticate(saved)?.node === node) return saved;
  }
  const token = await tokens.create({ user: `system:node:${node}`, roles: ['node'], node, description: 'bramble up: local agent' });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Ask the runtime first, so the first screen can say what is missing. */
async function runtimeLine(kind: UpFlags['runtime'], socketPath: string | undefined): Promise<string> {
  if (kind === 'fake') return 'Container runtime: fake (in memory; containers are simulated)';
  const { DockerRuntime } = await import('../../agent/runtime/docker.js');
  try {
    const v = await new DockerRuntime({ logger: createLogger({ level: 'silent' }), ...(socketPath ? { socketPath } : {}) }).version();
    return `Container runtime: ${v.runtime} ${v.version}`;
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    return `Container runtime: UNAVAILABLE: ${e.message ?? String(err)}${e.hint ? `. ${e.hint}` : ''} (the node is registered as NotReady until it is fixed)`;
  }
}

export async function runUp(flags: UpFlags): Promise<number> {
  const { startMaster } = await import('../../master/master.js');
  const { startAgent } = await import('../../agent/agent.js');
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const logger = createLogger({ name: 'bramble-up' });
  const proxyMode = flags.proxyMode ?? 'auto';
  // The local agent is this gateway's proxy (NodePorts and LoadBalancer addresses are local to
  // it); a second one in the master would fight it for the same ports.
  const running = await startMaster({
    dataDir, bind: flags.bind, apiPort: flags.apiPort, mqttPort: flags.mqttPort, logger, controllers: controllerSettings(flags), scheduler: schedulerSettings(flags),
    ...(flags.mqttUrl !== undefined ? { mqttUrl: flags.mqttUrl } : {}),
    ...serviceSettings(flags), proxyMode: 'off', loadBalancers: proxyMode !== 'off',
  });
  const node = flags.nodeName ?? localNodeName();
  const agentDir = path.join(dataDir, 'agent');
  mkdirSync(agentDir, { recursive: true, mode: 0o700 });
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  try {
    const token = await localAgentToken(running.tokens, agentDir, node);
    const runtime = await runtimeLine(flags.runtime, flags.dockerSocket);
    agent = await startAgent({
      nodeName: node, masterUrl: running.mqttUrl, token, dataDir: agentDir, runtime: flags.runtime, logger: logger.child({ component: 'agent' }), proxyMode,
      ...(flags.dockerSocket ? { dockerSocket: flags.dockerSocket } : {}),
    });
    const lines = readyLines(running);
    lines.splice(lines.length - 1, 0, `Local node: ${node}`, runtime);
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (err) {
    await running.stop();
    throw err;
  }
  await untilSignal();
  await agent.stop();
  await running.stop();
  return 0;
}
