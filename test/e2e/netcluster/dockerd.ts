// One Docker Engine per worker namespace, so each worker publishes container ports on its own
// address (and programs only its own namespace's iptables). They share the host's containerd
// under their own containerd namespaces; data, exec root, socket and pid file are the run's.
//
//   nsenter --net=/run/netns/NS dockerd --config-file <empty> --data-root DATA/docker
//     --exec-root /run/bramble-nc/<id>/<w>/exec --pidfile …/docker.pid -H unix://…/docker.sock
//     --containerd /run/containerd/containerd.sock --containerd-namespace bramble-nc-<id>-<w>
//     --containerd-plugins-namespace bramble-nc-<id>-<w>-plugins --iptables=true
//
// Its docker0 (172.17.0.0/16) is inside the namespace, next to the other workers' own docker0s.
// (`ip netns exec` does not work here: it remounts /sys, and dockerd then finds no cgroups.)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { root } from '../../cli/helpers.js';
import { Proc } from './proc.js';
import { containerdSocket, names, recordProcess } from './run-state.js';
import { must } from './sys.js';

export interface WorkerDocker {
  proc: Proc;
  socket: string;
  docker: Docker;
}

export async function startDockerd(id: string, worker: string, ns: string, dataDir: string, extraArgs: string[] = []): Promise<WorkerDocker> {
  const execRoot = names.execRoot(id, worker);
  mkdirSync(execRoot, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  // An empty config: the host's /etc/docker/daemon.json (hosts, bip, ...) must not apply here.
  const config = path.join(execRoot, 'daemon.json');
  writeFileSync(config, '{}\n');
  const socket = names.dockerSocket(id, worker);
  const ctrNs = names.containerdNs(id, worker);
  const proc = new Proc(`dockerd ${worker}`, 'dockerd', [
    '--config-file', config,
    '--data-root', path.join(dataDir, 'docker'),
    '--exec-root', path.join(execRoot, 'exec'),
    '--pidfile', path.join(execRoot, 'docker.pid'),
    '-H', `unix://${socket}`,
    '--containerd', containerdSocket,
    '--containerd-namespace', ctrNs,
    '--containerd-plugins-namespace', `${ctrNs}-plugins`,
    '--iptables=true',
    '--log-level', 'warn',
    ...extraArgs,
  ], { netns: ns, deathSignal: 'SIGTERM', logFile: path.join(dataDir, 'dockerd.log') });
  recordProcess(id, `dockerd-${worker}`, proc.pid);
  const docker = new Docker({ socketPath: socket, timeout: 30_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await new Docker({ socketPath: socket, timeout: 2000 }).ping();
      break;
    } catch {
      if (!proc.running) throw new Error(`dockerd for ${worker} exited:\n${proc.tail()}`);
      if (Date.now() > deadline) throw new Error(`dockerd for ${worker} did not answer on ${socket} within 30 s:\n${proc.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { proc, socket, docker };
}

/** Build the test image (bramble-test/busybox:1) in a worker's engine: no host Docker needed, ~1 s. */
export async function loadTestImage(socket: string): Promise<void> {
  await must(path.join(root, 'scripts', 'test-image.sh'), [], { timeoutMs: 60_000, env: { ...process.env, DOCKER_HOST: `unix://${socket}` } });
}
