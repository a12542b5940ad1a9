// `bramble agent`'s flags are parsed without commander on the lean path (bin/bramble.js →
// parseAgentArgs) and with commander in the full CLI (addAgentFlags): both must accept the same
// arguments, print the same help and the same errors.
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAgentArgs, type AgentArgs } from '../../src/cli/commands/agent-flags.js';
import { addAgentFlags, agentDefaultDataDir, agentDescription } from '../../src/cli/commands/agent.js';
import { defaultDataDir } from '../../src/cli/commands/master.js';

const hint = '(run "bramble agent --help" for usage)';

/** What commander makes of `bramble agent ...args`, as the lean path used to build it. */
async function viaCommander(args: string[], width = 80): Promise<AgentArgs> {
  let out = '';
  let err = '';
  let flags: unknown;
  const program = new Command('bramble').exitOverride().showHelpAfterError(hint)
    .configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; }, getOutHelpWidth: () => width, getErrHelpWidth: () => width });
  addAgentFlags(program.command('agent').description(agentDescription)).action((opts: unknown) => { flags = opts; });
  try {
    await program.parseAsync(['node', 'bramble', 'agent', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return { kind: 'help', text: out };
    expect(err.endsWith(`\n${hint}\n`)).toBe(true);
    return { kind: 'error', message: err.slice(0, -(hint.length + 2)) };
  }
  return { kind: 'run', flags: { ...(flags as object) } as never };
}

const cases: string[][] = [
  [], ['--help'], ['-h'], ['--help', '--master', 'x'], ['--master', 'mqtt://h:1', '--help'], ['--master'], ['--master', 'foo'],
  ['--master=foo'], ['--master='], ['--master', 'mqtt://h:1'], ['--master=mqtt://h:1', '--runtime=fake'],
  ['--master', 'mqtt://h:1', '--runtime'], ['--master', 'mqtt://h:1', '--runtime', 'podman'], ['--master', 'mqtt://h:1', '--runtime=podman'],
  ['--master', 'mqtt://h:1', '--proxy-mode', 'bogus'], ['--master', 'mqtt://h:1', '--proxy-mode', 'iptables'],
  ['--master', 'mqtt://h:1', '--bogus'], ['--master', 'mqtt://h:1', '--bogus=1'], ['--master', 'mqtt://h:1', 'extra'], ['--master', 'mqtt://h:1', 'a', 'b'],
  ['--master', 'mqtt://h:1', '--token'], ['--master', 'mqtt://h:1', '-x'], ['--master', 'mqtt://h:1', '-x', 'v'], ['--master', 'mqtt://h:1', '-hx'],
  ['--master', 'mqtt://h:1', '--master', 'mqtt://h:2'], ['--runtime', 'fake'], ['--master', 'mqtt://h:1', '--name'], ['--master', 'mqtt://h:1', '--', 'extra'],
  ['--master', 'mqtt://h:1', '--runtime', 'fake', '--runtime', 'bad'], ['--mast', 'mqtt://h:1'], ['--master', 'mqtt://h:1', '--no-runtime'],
  ['--master', 'mqtt://h:1', '--help=1'], ['help'], ['--version'], ['--master', '--runtime'], ['--master', '-h'], ['--master', 'mqtt://h:1', '-1'],
  ['--master', 'mqtt://h:1', '-'], ['--bogus', '--master', 'foo'], ['--bogus', '--help'], ['--master', 'mqtt://h:1', '--bogus', '--', '--help'],
  ['--master', 'mqtt://h:1', '--', '--help'], ['--master', 'mqtt://h:1', '--datadir', 'x'], ['--master', 'mqtt://h:1', '--proxymode', 'auto'],
  ['--master', 'mqtt://h:1', '--metrics-address', '127.0.0.1:10249'], ['--master', 'mqtt://h:1', '--metrics-address=[::1]:10249'],
  ['--master', 'mqtt://h:1', '--metrics-address='], ['--master', 'mqtt://h:1', '--metrics-address', '10249'], ['--master', 'mqtt://h:1', '--metrics-address'],
  ['--master', 'mqtt://h:1', '--metrics-address', 'h:99999'], ['--master', 'mqtt://h:1', '--metrics-adress', 'h:1'],
  ['--master', 'tcp://h:1', '--token', 't', '--name', 'pi', '--data-dir', '/d', '--node-ip', '10.0.0.2', '--runtime', 'fake', '--docker-socket', '/s', '--proxy-mode', 'userspace', '--metrics-address', '0.0.0.0:10249'],
];

describe('bramble agent flags without commander', () => {
  it.each(cases.map((c) => [c.join(' ') || '(none)', c] as const))('%s: as commander', async (_name, args) => {
    expect(parseAgentArgs(args)).toEqual(await viaCommander(args));
  });

  it.each([40, 60, 100, 200])('help at %i columns: as commander', async (width) => {
    expect(parseAgentArgs(['--help'], width)).toEqual(await viaCommander(['--help'], width));
  });

  it('defaults the data dir under the master\'s', () => {
    expect(agentDefaultDataDir(homedir())).toBe(path.join(defaultDataDir(), 'agent'));
  });

  it('does not load commander for the agent command', () => {
    const script = `
      await import(${JSON.stringify(path.resolve('src/cli/commands/agent.ts'))});
      const { createRequire } = await import('node:module');
      console.log(Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/node_modules/commander/')).length);`;
    expect(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim()).toBe('0');
  });
});
