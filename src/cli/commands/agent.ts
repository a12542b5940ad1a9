// `bramble agent`: run a worker (kubelet) that dials the master over MQTT until Ctrl-C/SIGTERM.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { agentFlagDefs, type AgentFlags } from './agent-flags.js';

// No runtime import of commander (or of master.ts, which imports it) here: bin/bramble.js's lean
// agent path loads this module and parses the flags without commander (agent-flags.ts).
export { agentDescription, parseProxyMode, proxyModeHelp, type AgentFlags, type ProxyModeFlag } from './agent-flags.js';

/** The agent's flags (agent-flags.ts) on a commander command: the full CLI's `bramble agent`. */
export function addAgentFlags(cmd: Command): Command {
  for (const f of agentFlagDefs) {
    const o = cmd.createOption(f.flags, f.help);
    // FlagValueError carries commander's InvalidArgumentError code, so commander words it as its own.
    if (f.parse) o.argParser(f.parse);
    if (f.default !== undefined) o.default(f.default);
    if (f.required) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  return cmd;
}

/** ~/.bramble/agent: master.ts's defaultDataDir() plus agent/ (not imported from there: master.ts loads commander). */
export function agentDefaultDataDir(home: string): string {
  return path.join(home, '.bramble', 'agent');
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
  if (!token) throw new Error('a node token is needed: --token TOKEN or $BRAMBLE_NODE_TOKEN (make one on the master with "bramble token create").');
  const { homedir, hostname } = await import('node:os');
  const name = flags.name ?? hostname().toLowerCase();
  const dataDir = path.resolve(flags.dataDir ?? agentDefaultDataDir(homedir()));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Loaded on demand: client commands never pay for the agent.
  const [{ startAgent }, { createLogger }] = await Promise.all([import('../../agent/agent.js'), import('../../log/logger.js')]);
  const logger = createLogger({ name: 'bramble-agent' });
  const agent = await startAgent({
    nodeName: name, masterUrl: flags.master, token, dataDir, nodeIP: flags.nodeIp, runtime: flags.runtime, logger, proxyMode: flags.proxyMode,
    ...(flags.dockerSocket ? { dockerSocket: flags.dockerSocket } : {}),
    ...(flags.metricsAddress ? { metricsAddress: flags.metricsAddress } : {}),
  });
  process.stdout.write(`Agent ${name} → ${flags.master} (runtime ${flags.runtime}, data ${dataDir}). Press Ctrl-C to stop.\n`);
  await untilSignal();
  await agent.stop();
  logger.flush();
  return 0;
}
