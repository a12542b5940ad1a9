// Multi-node tests (test/e2e/netcluster): they need root (network namespaces, veths, a dockerd
// per namespace), iproute2, util-linux (nsenter, setpriv), Docker Engine's dockerd and CLI,
// containerd's socket and ctr, and the static busybox. Without them: skipped loudly on a
// developer machine, failed under CI=true (as describeDocker does).
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, type RunnerTask, type RunnerTestSuite } from 'vitest';
import { getCurrentSuite } from 'vitest/suite';

const containerdSocket = process.env.BRAMBLE_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock';

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch { /* next */ }
  }
  return false;
}

/** What this machine lacks for multi-node tests (empty: they can run); `commands`: more that a suite needs (e.g. iptables). */
export function netClusterMissing(commands: string[] = []): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const cmd of ['ip', 'nsenter', 'setpriv', 'dockerd', 'docker', 'ctr', 'busybox', ...commands]) if (!onPath(cmd)) missing.push(cmd);
  try {
    if (!statSync(containerdSocket).isSocket()) missing.push(`containerd (${containerdSocket} is not a socket)`);
  } catch {
    missing.push(`containerd (no ${containerdSocket}: start it with "containerd &")`);
  }
  if (!existsSync('/proc/self/ns/net')) missing.push('network namespaces');
  return missing;
}

function countTests(t: RunnerTask): number {
  return t.type === 'test' ? 1 : (t as RunnerTestSuite).tasks.reduce((n, c) => n + countTests(c), 0);
}

/**
 * describe() for tests on a NetCluster (see the header comment for when it skips); `opts.commands`
 * are further commands the suite needs on PATH (e.g. 'iptables', 'cc').
 */
export function describeNetCluster(name: string, fn: () => void, opts: { commands?: string[] } = {}): void {
  const missing = netClusterMissing(opts.commands);
  if (missing.length === 0 || process.env.CI === 'true') {
    describe(name, () => {
      // beforeEach, not beforeAll: a failing beforeAll marks the tests skipped; CI must count them failed.
      beforeEach(() => {
        if (missing.length > 0) throw new Error(`multi-node tests cannot run here (CI=true: they must): missing ${missing.join(', ')}`);
      });
      fn();
    });
    return;
  }
  describe.skip(name, () => {
    const suite = getCurrentSuite();
    fn();
    describe('(multi-node prerequisites missing)', () => {
      let n = 0;
      for (const t of suite.tasks) n += t.type === 'collector' ? (t.suite ? countTests(t.suite) : 0) : countTests(t);
      console.warn(`⚠ multi-node tests need ${missing.join(', ')}: skipping ${n} tests (run as root with iproute2, docker.io, containerd and busybox-static)`);
    });
  });
}
