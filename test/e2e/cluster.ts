// A real cluster on this machine for end-to-end tests: `bramble master` and `bramble agent`
// as child processes of the built binary, talking over real HTTP and MQTT.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import Docker from 'dockerode';
import { bramble, ensureBuilt, Running, type Result } from '../cli/helpers.js';
import { dockerSocket, testImage } from '../helpers/docker.js';
import { until } from '../helpers/poll.js';

const docker = new Docker({ socketPath: dockerSocket });

/** The containers a node's agent made (by label), sandboxes included. */
export function nodeContainers(node: string, extraLabels: string[] = []): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`dev.bramble.node=${node}`, ...extraLabels] } });
}

/** Remove them: a SIGKILLed agent leaves its containers running. */
export async function removeNodeContainers(node: string): Promise<void> {
  for (const ci of await nodeContainers(node)) await docker.getContainer(ci.Id).remove({ force: true }).catch(() => undefined);
}

/** A pod of one container `main` (the test image running `sh -c script`) bound to `node`. */
export function shPod(name: string, node: string, script: string, terminationGracePeriodSeconds: number): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: ${terminationGracePeriodSeconds}
  containers:
    - name: main
      image: ${testImage}
      imagePullPolicy: Never
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

export interface Master {
  proc: Running;
  url: string;
  mqttUrl: string;
  token: string;
  env: NodeJS.ProcessEnv;
}

export class Cluster {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-e2e-'));
  master: Master | undefined;
  readonly agents = new Map<string, Running>();
  private mqttPort = 0;

  constructor() { ensureBuilt(); }

  /** A master and one Docker agent for `node`, whose leftover containers are removed first. */
  static async withNode(node: string): Promise<Cluster> {
    await removeNodeContainers(node);
    const c = new Cluster();
    await c.startMaster();
    await c.startAgent(node, await c.nodeToken(node));
    return c;
  }

  get env(): NodeJS.ProcessEnv {
    return { BRAMBLE_KUBECONFIG: path.join(this.dir, 'master', 'kubeconfig.yaml'), HOME: this.dir, BRAMBLE_LOG_LEVEL: 'warn' };
  }

  /** Start (or restart, on the same data and MQTT port) the master. */
  async startMaster(): Promise<Master> {
    const proc = new Running(['master', '--data-dir', path.join(this.dir, 'master'), '--api-port', '0', '--mqtt-port', String(this.mqttPort), '--proxy-mode', 'off'], this.env);
    const url = (await proc.waitFor(/API server: (\S+)/))[1]!;
    const mqttUrl = (await proc.waitFor(/MQTT broker: (\S+)/))[1]!;
    await proc.waitFor(/Ready/);
    this.mqttPort = Number(new URL(mqttUrl).port);
    const kc = parse(readFileSync(path.join(this.dir, 'master', 'kubeconfig.yaml'), 'utf8')) as { users: { user: { token: string } }[] };
    this.master = { proc, url, mqttUrl, token: kc.users[0]!.user.token, env: this.env };
    return this.master;
  }

  async stopMaster(): Promise<void> {
    await this.master?.proc.stop('SIGTERM');
    this.master = undefined;
  }

  async nodeToken(node: string): Promise<string> {
    const r = await this.cli(['token', 'create', '--node', node]);
    if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  async startAgent(node: string, token: string, runtime: 'docker' | 'fake' = 'docker'): Promise<Running> {
    const mqttUrl = `mqtt://127.0.0.1:${this.mqttPort}`;
    const proc = new Running(['agent', '--master', mqttUrl, '--token', token, '--name', node, '--data-dir', path.join(this.dir, `agent-${node}`), '--node-ip', '127.0.0.1', '--runtime', runtime,
      // Several agents share this host's network namespace: none may program its packet filter.
      '--proxy-mode', 'userspace'], this.env);
    await proc.waitFor(/Agent .* Press Ctrl-C/);
    this.agents.set(node, proc);
    return proc;
  }

  async stopAgent(node: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.agents.get(node)?.stop(signal);
    this.agents.delete(node);
  }

  cli(args: string[], input?: string): Promise<Result> {
    return bramble(args, this.env, input);
  }

  async api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const m = this.master!;
    const res = await fetch(m.url + p, { method, headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    try { return { status: res.status, body: JSON.parse(text) }; } catch { return { status: res.status, body: text }; }
  }

  until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    return until(what, check, timeoutMs);
  }

  async stop(): Promise<void> {
    for (const node of [...this.agents.keys()]) await this.stopAgent(node, 'SIGKILL');
    await this.stopMaster();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
