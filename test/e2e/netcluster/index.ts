// A real multi-node Bramble cluster on one machine, for end-to-end tests: `bramble master` in
// a gateway namespace on the gateway address of a private link, and N `bramble agent`s, each in
// its own network namespace with its own address and its own Docker Engine, so container ports
// are published on the worker's address as on a real device. The test process is a client on
// the link (host namespace); nothing runs in, or programs, the host's own network stack. See
// docs/networking.md ("Multi-node tests") and network.ts / dockerd.ts / run-state.ts for the parts.
//
//   const c = await NetCluster.start({ workers: 2 });
//   c.worker('w1').ip                          // 10.213.0.11
//   await c.exec('w2', ['busybox', 'wget', '-qO-', `http://${c.worker('w1').ip}:8080/`]);
//   await c.exec('gateway', ['iptables-save']);  // the master's namespace ('host': the test's own)
//   await c.linkDown('w1'); ...; await c.linkUp('w1');
//   await c.stop();                            // also on failure: call it from afterAll
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { ApiClient } from '../../../src/client/client.js';
import { resourceByKind, type ResourceType } from '../../../src/api/registry.js';
import type { KObject } from '../../../src/api/types.js';
import { runtimeLabels } from '../../../src/agent/runtime/runtime.js';
import { bramble, ensureBuilt, root, type Result } from '../../cli/helpers.js';
import { until } from '../../helpers/poll.js';
import { loadTestImage, startDockerd, type WorkerDocker } from './dockerd.js';
import { addWorker, createLink, setWorkerLink, type Link, type WorkerLink } from './network.js';
import { Proc } from './proc.js';
import { claimRun, claimSubnet, names, newRunId, recordProcess, sweepLeftovers, teardownRun } from './run-state.js';
import { run, type CmdResult } from './sys.js';

export { sweepLeftovers, teardownRun } from './run-state.js';

const bin = path.join(root, 'bin', 'bramble.js');
export const nodeRt = resourceByKind('v1', 'Node') as ResourceType;

export interface NetClusterOptions {
  /** Number of workers, named w1, w2, … (default 2). */
  workers?: number;
  /** Extra flags for `bramble master` (e.g. ['--pod-eviction-timeout', '30']). */
  masterArgs?: string[];
  /** Extra flags for every `bramble agent` (e.g. ['--proxy-mode', 'userspace']), or per worker. */
  agentArgs?: string[] | ((worker: string) => string[]);
  /** Workers started without `--node-ip`: they learn their InternalIP from the MQTT connection. */
  learnNodeIP?: string[];
  /** Extra flags for each worker's dockerd. */
  dockerdArgs?: string[];
  /** BRAMBLE_LOG_LEVEL of the master and agents (default 'info'; their output is kept for failure messages). */
  logLevel?: string;
  /** Wait until every worker's Node is Ready (default true). */
  waitReady?: boolean;
}

export interface Worker extends WorkerLink {
  /** Its dockerd's socket and a client for it. */
  dockerSocket: string;
  docker: Docker;
  dockerd: Proc;
  /** The running agent (undefined after killAgent). */
  agent: Proc | undefined;
  token: string;
  dataDir: string;
}

export interface ContainerRecord {
  id: string;
  pod: string;
  namespace: string;
  container: string;
  sandbox: boolean;
  /** The agent's restart count (label) for the container. */
  restartCount: number;
  /** Docker's own count of restarts of this very container (the agent never uses restart policies: 0). */
  dockerRestarts: number;
  startedAt: string;
}

let hooked = false;
const liveRuns = new Set<string>();

/** Tear down this process's runs if it exits or is told to stop before the tests' afterAll ran. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => { for (const id of liveRuns) teardownRun(id); });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const id of liveRuns) teardownRun(id);
      liveRuns.clear();
      process.kill(process.pid, sig);
    });
  }
}

export class NetCluster {
  readonly id: string;
  readonly dir: string;
  readonly workers: Worker[] = [];
  link!: Link;
  master: Proc | undefined;
  apiUrl = '';
  mqttUrl = '';
  adminToken = '';
  api!: ApiClient;
  private mqttPort = 0;
  private apiPort = 0;
  private readonly opts: NetClusterOptions;
  private stopped = false;

  private constructor(opts: NetClusterOptions) {
    this.opts = opts;
    this.id = newRunId();
    this.dir = names.defaultTmpDir(this.id);
  }

  /** Build the network, start the master and the workers (dockerd, test image, agent) and wait until they are Ready. */
  static async start(opts: NetClusterOptions = {}): Promise<NetCluster> {
    ensureBuilt();
    const swept = sweepLeftovers();
    if (swept.length > 0) console.warn(`netcluster: removed leftovers of earlier runs ${swept.join(', ')}`);
    const c = new NetCluster(opts);
    hookExit();
    claimRun(c.id, c.dir);
    liveRuns.add(c.id);
    try {
      await c.boot();
    } catch (err) {
      const logs = c.diagnostics();
      await c.stop();
      throw new Error(`${(err as Error).message}\n${logs}`);
    }
    return c;
  }

  private async boot(): Promise<void> {
    const t0 = Date.now();
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.link = await createLink(this.id, claimSubnet(this.id));
    const n = this.opts.workers ?? 2;
    const links: WorkerLink[] = [];
    for (let i = 1; i <= n; i++) links.push(await addWorker(this.id, this.link, `w${i}`, i));
    // The engines (the slow part: ~1 s each, plus the image) start while the master does.
    const engines = Promise.all(links.map(async (l): Promise<WorkerDocker> => {
      const d = await startDockerd(this.id, l.name, l.ns, path.join(this.dir, l.name), this.opts.dockerdArgs);
      await loadTestImage(d.socket);
      return d;
    }));
    engines.catch(() => undefined); // awaited below; don't let a master failure leave it unhandled
    await this.startMaster();
    const docker = await engines;
    for (const [i, l] of links.entries()) {
      const d = docker[i]!;
      const token = (await this.api.createToken({ node: l.name, description: 'netcluster e2e' })).token;
      this.workers.push({ ...l, dockerSocket: d.socket, docker: d.docker, dockerd: d.proc, agent: undefined, token, dataDir: path.join(this.dir, l.name, 'agent') });
    }
    await Promise.all(this.workers.map((w) => this.startAgent(w.name)));
    if (this.opts.waitReady ?? true) await this.waitReady();
    console.log(`netcluster ${this.id}: master ${this.link.gatewayIP}, workers ${this.workers.map((w) => `${w.name}=${w.ip}`).join(' ')} — up in ${Date.now() - t0} ms`);
  }

  get env(): NodeJS.ProcessEnv {
    return { BRAMBLE_KUBECONFIG: path.join(this.dir, 'master', 'kubeconfig.yaml'), HOME: this.dir, BRAMBLE_LOG_LEVEL: this.opts.logLevel ?? 'info' };
  }

  get gatewayIP(): string {
    return this.link.gatewayIP;
  }

  worker(name: string): Worker {
    const w = this.workers.find((x) => x.name === name);
    if (!w) throw new Error(`no worker ${name} (have ${this.workers.map((x) => x.name).join(', ')})`);
    return w;
  }

  /** Start (or restart on the same data, address and ports) the master; extra flags replace the options' masterArgs. */
  async startMaster(extraArgs = this.opts.masterArgs ?? []): Promise<void> {
    const proc = new Proc('master', process.execPath, [bin, 'master', '--bind', this.link.gatewayIP, '--data-dir', path.join(this.dir, 'master'),
      '--api-port', String(this.apiPort), '--mqtt-port', String(this.mqttPort), ...extraArgs], { netns: this.link.gatewayNs, env: this.env, deathSignal: 'SIGTERM' });
    recordProcess(this.id, 'master', proc.pid);
    this.master = proc;
    this.apiUrl = (await proc.waitFor(/API server: (\S+)/))[1]!;
    this.mqttUrl = (await proc.waitFor(/MQTT broker: (\S+)/))[1]!;
    await proc.waitFor(/Ready\./);
    this.apiPort = Number(new URL(this.apiUrl).port);
    this.mqttPort = Number(new URL(this.mqttUrl).port);
    const kc = parse(readFileSync(path.join(this.dir, 'master', 'kubeconfig.yaml'), 'utf8')) as { users: { user: { token: string } }[] };
    this.adminToken = kc.users[0]!.user.token;
    this.api = new ApiClient({ server: this.apiUrl, token: this.adminToken });
  }

  async stopMaster(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.master?.stop(signal);
    this.master = undefined;
  }

  /** Start a worker's agent (again); `extraArgs` are added to the options' agentArgs. */
  async startAgent(name: string, extraArgs: string[] = []): Promise<Proc> {
    const w = this.worker(name);
    if (w.agent?.running) throw new Error(`the agent of ${name} is running`);
    const base = typeof this.opts.agentArgs === 'function' ? this.opts.agentArgs(name) : (this.opts.agentArgs ?? []);
    const learn = this.opts.learnNodeIP?.includes(name) ?? false;
    const proc = new Proc(`agent ${name}`, process.execPath, [bin, 'agent', '--master', `mqtt://${this.link.gatewayIP}:${this.mqttPort}`, '--name', name,
      '--data-dir', w.dataDir, '--docker-socket', w.dockerSocket, ...(learn ? [] : ['--node-ip', w.ip]), ...base, ...extraArgs],
    { netns: w.ns, env: { ...this.env, BRAMBLE_NODE_TOKEN: w.token } });
    recordProcess(this.id, `agent-${name}`, proc.pid);
    w.agent = proc;
    await proc.waitFor(/Agent .* Press Ctrl-C/);
    return proc;
  }

  /** Kill a worker's agent (SIGKILL by default: a crash; its containers keep running). */
  async killAgent(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const w = this.worker(name);
    await w.agent?.stop(signal);
    w.agent = undefined;
  }

  async restartAgent(name: string, extraArgs: string[] = []): Promise<Proc> {
    await this.killAgent(name, 'SIGTERM');
    return this.startAgent(name, extraArgs);
  }

  /** Cut a worker off the link (its veth goes down: carrier lost, like a dropped Wi-Fi). */
  linkDown(name: string): Promise<void> {
    return setWorkerLink(this.link, this.worker(name), false);
  }

  linkUp(name: string): Promise<void> {
    return setWorkerLink(this.link, this.worker(name), true);
  }

  /** Whether the master holds an established MQTT connection from this worker (seen with `ss` on the gateway). */
  async mqttConnected(name: string): Promise<boolean> {
    const r = await this.exec('gateway', ['ss', '-Htn', 'state', 'established', 'sport', '=', `:${this.mqttPort}`, 'dst', this.worker(name).ip]);
    if (r.code !== 0) throw new Error(`ss failed: ${r.stderr.trim()}`);
    return r.stdout.trim() !== '';
  }

  /** The network namespace of 'gateway' (the master's) or a worker. */
  netns(where: string): string {
    return where === 'gateway' ? this.link.gatewayNs : this.worker(where).ns;
  }

  /**
   * Run a command inside a worker's network namespace, the master's ('gateway'), or the test
   * process's own ('host': a client on the link at `link.hostIP`).
   */
  exec(where: string, cmd: string[], timeoutMs = 15_000): Promise<CmdResult> {
    if (where === 'host') return run(cmd[0]!, cmd.slice(1), { timeoutMs });
    return run('nsenter', [`--net=/run/netns/${this.netns(where)}`, '--', ...cmd], { timeoutMs });
  }

  /**
   * GET a URL with the host's busybox wget from a worker's namespace ('gateway', 'host'); the body, or
   * throws with wget's error. (busybox 1.35's `wget -T` segfaults: the timeout is ours.)
   */
  async httpGet(where: string, url: string, timeoutMs = 5000): Promise<string> {
    const r = await this.exec(where, ['busybox', 'wget', '-qO-', url], timeoutMs);
    if (r.code !== 0) throw new Error(`wget ${url} from ${where}: exit ${r.code} ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The bramble CLI against this master (admin kubeconfig). */
  cli(args: string[], input?: string): Promise<Result> {
    return bramble(args, this.env, input);
  }

  /** Bramble's containers on a worker, from its own Docker Engine, with restart counts and ids. */
  async containerRestarts(name: string): Promise<ContainerRecord[]> {
    const d = this.worker(name).docker;
    const list = await d.listContainers({ all: true, filters: { label: [`${runtimeLabels.managed}=true`] } });
    const out: ContainerRecord[] = [];
    for (const ci of list) {
      const info = await d.getContainer(ci.Id).inspect();
      const l = ci.Labels;
      out.push({
        id: ci.Id,
        pod: l[runtimeLabels.pod] ?? '',
        namespace: l[runtimeLabels.namespace] ?? '',
        container: l[runtimeLabels.container] ?? '',
        sandbox: l[runtimeLabels.sandbox] !== undefined,
        restartCount: Number(l[runtimeLabels.restartCount] ?? 0),
        dockerRestarts: info.RestartCount,
        startedAt: info.State.StartedAt,
      });
    }
    return out.sort((a, b) => `${a.pod}/${a.container}/${a.id}`.localeCompare(`${b.pod}/${b.container}/${b.id}`));
  }

  /** The Node's Ready condition status ('True', 'False', 'Unknown') or undefined. */
  async nodeReady(name: string): Promise<string | undefined> {
    const n = await this.api.get<KObject & { status?: { conditions?: { type: string; status: string }[] } }>(nodeRt, undefined, name);
    return n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    await until('every worker Ready', async () => {
      for (const w of this.workers) if ((await this.nodeReady(w.name).catch(() => undefined)) !== 'True') return undefined;
      return true;
    }, timeoutMs, 250);
  }

  /** The last lines of every process's output: attach to a failure. */
  diagnostics(lines = 30): string {
    return [this.master, ...this.workers.flatMap((w) => [w.agent, w.dockerd])].filter((p): p is Proc => p !== undefined).map((p) => p.tail(lines)).join('\n');
  }

  /** Stop everything and remove every trace (see run-state.ts); safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.workers.map((w) => w.agent?.stop('SIGKILL')));
    await this.master?.stop('SIGTERM', 5000);
    teardownRun(this.id);
    liveRuns.delete(this.id);
  }
}
