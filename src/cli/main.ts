// The `bramble` command line: bin/bramble.js calls main(process.argv) and exits with what it returns.
import { Command, CommanderError } from 'commander';
import { runApply } from './commands/apply.js';
import { runDelete } from './commands/delete.js';
import { runDescribe } from './commands/describe.js';
import { runGet } from './commands/get.js';
import { addMasterFlags, runMaster, type MasterFlags } from './commands/master.js';
import { parseUpRuntime, runUp, type UpFlags } from './commands/up.js';
import { addAgentFlags, agentDescription, runAgent, type AgentFlags } from './commands/agent.js';
import { clientVersion, runVersion } from './commands/version.js';
import { runTokenCreate, runTokenList, runTokenRevoke } from './commands/token.js';
import { runLogs } from './commands/logs.js';
import { runRolloutHistory, runRolloutPause, runRolloutRestart, runRolloutStatus, runRolloutUndo } from './commands/rollout.js';
import { runScale } from './commands/scale.js';
import { runCordon, runDrain, runUncordon } from './commands/node.js';
import type { GlobalOptions } from './context.js';
import { printError } from './errors.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Commander passes `(...positionals, options, command)`; every action returns its exit code. */
type Action = (cmd: Command, ...positionals: unknown[]) => Promise<number>;

function build(setCode: (code: number) => void): Command {
  const program = new Command('bramble')
    .description('Bramble: a lightweight, Kubernetes-shaped container orchestrator for edge and IoT fleets')
    .version(clientVersion(), '--version', 'print the client version')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $BRAMBLE_KUBECONFIG, ~/.bramble/kubeconfig.yaml, ./.bramble/kubeconfig.yaml)')
    .option('-n, --namespace <namespace>', 'namespace to work in (default: the kubeconfig context\'s, else "default")')
    .exitOverride()
    .showHelpAfterError('(run "bramble --help" or "bramble COMMAND --help" for usage)');

  const act = (fn: Action) => async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    setCode(await fn(cmd, ...args.slice(0, -2)));
  };
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  addMasterFlags(program.command('master').description('run the control plane (API server, store, MQTT broker) in this process until Ctrl-C'))
    .action(act((cmd) => runMaster(cmd.opts<MasterFlags>())));
  addMasterFlags(program.command('up').description('run a master and a local agent here (this machine runs pods too) until Ctrl-C'))
    .option('--node-name <name>', 'the local node\'s name (default: the hostname, lowercased)')
    .option('--runtime <runtime>', 'the local agent\'s container runtime: docker, or fake (in memory)', parseUpRuntime, 'docker')
    .option('--docker-socket <path>', 'Docker Engine socket for the local agent (default /var/run/docker.sock)')
    .action(act((cmd) => runUp(cmd.opts<UpFlags>())));

  program.command('apply').description('create or update objects from manifests (YAML or JSON, multi-document)')
    .option('-f, --filename <path>', 'file, directory (its *.yaml, *.yml, *.json in name order) or - for stdin; repeatable', collect, [])
    .action(act((cmd) => runApply(globals(cmd), cmd.opts())));

  program.command('get').description('list objects, or fetch them by name')
    .argument('<kind>', 'kind: pods, po, deployments.apps, ...; several comma-separated; "all"; or KIND/NAME')
    .argument('[names...]', 'names of objects')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=pi-1')
    .option('-o, --output <format>', 'wide, yaml, json or name')
    .option('-w, --watch', 'after listing, print a row for every change until Ctrl-C')
    .option('--show-labels', 'add a LABELS column')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .action(act((cmd, kind, names) => runGet([kind as string, ...(names as string[])], globals(cmd), cmd.opts())));

  program.command('describe').description('show details of objects, with their events')
    .argument('<kind>', 'kind, or KIND/NAME')
    .argument('[names...]', 'names of objects (all objects of the kind when omitted)')
    .option('-l, --selector <selector>', 'label selector')
    .option('-A, --all-namespaces', 'across all namespaces (without names)')
    .action(act((cmd, kind, names) => runDescribe([kind as string, ...(names as string[])], globals(cmd), cmd.opts())));

  program.command('delete').description('delete objects by name, by label selector, or as named in manifests')
    .argument('[kind]', 'kind, or KIND/NAME')
    .argument('[names...]', 'names of objects')
    .option('-f, --filename <path>', 'delete the objects in this file, directory or - (stdin); repeatable', collect, [])
    .option('-l, --selector <selector>', 'delete the objects matching this label selector')
    .option('--all', 'delete every object of the kind in the namespace')
    .option('--grace-period <seconds>', 'seconds a pod gets to stop (-1: the pod\'s own setting, 0: immediately)')
    .option('--cascade <policy>', 'what happens to dependents: background (default), foreground or orphan')
    .option('--wait', 'wait until the objects are gone')
    .option('--timeout <seconds>', 'how long --wait waits (default 60)')
    .option('--ignore-not-found', 'treat a missing object as deleted')
    .action(act((cmd, kind, names) => runDelete(kind === undefined ? [] : [kind as string, ...(names as string[])], globals(cmd), cmd.opts())));

  program.command('logs').description('print a container\'s log (from its node); -f follows it until Ctrl-C')
    .argument('<pod>', 'pod name (or pod/NAME)')
    .option('-c, --container <name>', 'container (required when the pod has several)')
    .option('-f, --follow', 'keep streaming new output')
    .option('--tail <lines>', 'only the last N lines (-1: all)')
    .option('--since <duration>', 'only output newer than this, e.g. 5m, 1h')
    .option('--timestamps', 'prefix each line with its time')
    .option('--limit-bytes <bytes>', 'stop after this many bytes')
    .option('-p, --previous', 'the previous (crashed) instance of the container')
    .action(act((cmd, pod) => runLogs(pod as string, globals(cmd), cmd.opts())));

  program.command('scale').description('set the number of replicas of a Deployment or ReplicaSet')
    .argument('<kind>', 'deployment or replicaset, or KIND/NAME')
    .argument('[names...]', 'names of objects')
    .option('--replicas <count>', 'the new number of replicas (required)')
    .option('--current-replicas <count>', 'only scale if the current number of replicas is this')
    .action(act((cmd, kind, names) => runScale([kind as string, ...(names as string[])], globals(cmd), cmd.opts())));

  const rollout = program.command('rollout').description('follow and manage the rollout of a Deployment or DaemonSet');
  const rolloutTarget = (c: Command): Command => c.argument('<kind>', 'deployment/NAME (or KIND NAME)').argument('[name]', 'name');
  const args = (kind: unknown, name: unknown): string[] => [kind as string, ...(name === undefined ? [] : [name as string])];
  rolloutTarget(rollout.command('status').description('wait until the rollout is done, printing its progress'))
    .option('--timeout <duration>', 'give up after this long, e.g. 5m (default: wait forever)')
    .option('-w, --watch', 'keep watching until the rollout ends', true)
    .option('--no-watch', 'print the current status once and exit')
    .action(act((cmd, kind, name) => runRolloutStatus(args(kind, name), globals(cmd), cmd.opts())));
  rolloutTarget(rollout.command('history').description('list the revisions of a Deployment'))
    .option('--revision <n>', 'show the pod template of this revision')
    .action(act((cmd, kind, name) => runRolloutHistory(args(kind, name), globals(cmd), cmd.opts())));
  rolloutTarget(rollout.command('undo').description('roll back to the previous revision (or --to-revision)'))
    .option('--to-revision <n>', 'the revision to roll back to (default: the previous one)')
    .action(act((cmd, kind, name) => runRolloutUndo(args(kind, name), globals(cmd), cmd.opts())));
  rolloutTarget(rollout.command('restart').description('restart every pod, within the rollout strategy'))
    .action(act((cmd, kind, name) => runRolloutRestart(args(kind, name), globals(cmd))));
  rolloutTarget(rollout.command('pause').description('stop rolling out template changes (scaling still works)'))
    .action(act((cmd, kind, name) => runRolloutPause(args(kind, name), globals(cmd), true)));
  rolloutTarget(rollout.command('resume').description('resume a paused rollout'))
    .action(act((cmd, kind, name) => runRolloutPause(args(kind, name), globals(cmd), false)));

  const token = program.command('token').description('manage API credentials for nodes and users (admin)');
  token.command('create').description('make a token and print it (only the token, on stdout)')
    .option('--node <name>', 'a node credential (role node) for this node')
    .option('--user <name>', 'a user credential for this user (with --role)')
    .option('--role <role>', 'admin, viewer or node; repeatable', collect, [])
    .option('--ttl <duration>', 'expire after this long, e.g. 1h, 7d (default: never)')
    .option('--description <text>', 'a note shown by token list')
    .action(act((cmd) => runTokenCreate(globals(cmd), cmd.opts())));
  token.command('list').description('list tokens (never their secrets)')
    .action(act((cmd) => runTokenList(globals(cmd))));
  token.command('revoke').description('revoke tokens by id')
    .argument('<ids...>', 'token ids (the part before the dot)')
    .action(act((cmd, ids) => runTokenRevoke(globals(cmd), ids as string[])));

  program.command('cordon').description('mark a node unschedulable (its pods keep running)')
    .argument('<node>', 'node name').action(act((cmd, node) => runCordon(globals(cmd), node as string)));
  program.command('uncordon').description('mark a node schedulable again')
    .argument('<node>', 'node name').action(act((cmd, node) => runUncordon(globals(cmd), node as string)));
  program.command('drain').description('cordon a node and delete its pods (not DaemonSet pods) so they are recreated elsewhere')
    .argument('<node>', 'node name')
    .option('--force', 'also delete pods no controller manages (they are not recreated)')
    .action(act((cmd, node) => runDrain(globals(cmd), node as string, cmd.opts())));

  addAgentFlags(program.command('agent').description(agentDescription))
    .action(act((cmd) => runAgent(cmd.opts<AgentFlags>())));

  program.command('version').description('print the client and server versions')
    .option('--client', 'only the client version')
    .action(act((cmd) => runVersion(globals(cmd), cmd.opts())));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = build((c) => { code = c; });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    // Commander has already printed its own message (unknown option, missing argument, help).
    if (err instanceof CommanderError) return err.exitCode;
    printError(err);
    return 1;
  }
}
