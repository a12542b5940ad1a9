// `bramble up`: a master and a local agent in one process, on a fresh data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bramble, ensureBuilt, Running } from '../cli/helpers.js';
import { until } from '../helpers/poll.js';

let home: string;
let up: Running | undefined;
ensureBuilt();

afterEach(async () => {
  await up?.stop('SIGTERM');
  up = undefined;
  rmSync(home, { recursive: true, force: true });
});

function start(extra: string[]): Running {
  home = mkdtempSync(path.join(os.tmpdir(), 'bramble-up-'));
  return new Running(['up', '--api-port', '0', '--mqtt-port', '0', '--node-name', 'gateway', '--proxy-mode', 'userspace', ...extra], { HOME: home, BRAMBLE_LOG_LEVEL: 'warn' });
}

describe('bramble up', () => {
  it('without a reachable Docker Engine: starts, registers the node NotReady, and says what is missing on the first screen', async () => {
    up = start(['--docker-socket', '/nonexistent/docker.sock']);
    await up.waitFor(/Ready\. Press Ctrl-C/);
    expect(up.stdout).toContain('Local node: gateway');
    expect(up.stdout).toMatch(/Container runtime: UNAVAILABLE: .*\/nonexistent\/docker\.sock.*apt-get install docker\.io/);
    const cond = await until('node NotReady', async () => {
      const r = await bramble(['get', 'node', 'gateway', '-o', 'json'], { HOME: home });
      if (r.code !== 0) return undefined;
      return (JSON.parse(r.stdout).status?.conditions ?? []).find((c: any) => c.type === 'Ready' && c.status === 'False');
    });
    expect(cond.reason).toBe('ContainerRuntimeUnavailable');
    expect(cond.message).toContain('apt-get install docker.io');
  }, 60_000);

  it('with the fake runtime: the local node is Ready and runs a pod bound to it', async () => {
    up = start(['--runtime', 'fake']);
    await up.waitFor(/Ready\. Press Ctrl-C/);
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: local }\nspec:\n  nodeName: gateway\n  containers: [{ name: c, image: busybox }]\n';
    expect((await bramble(['apply', '-f', '-'], { HOME: home }, pod)).code).toBe(0);
    const phase = await until('pod Running', async () => {
      const r = await bramble(['get', 'pod', 'local', '-o', 'json'], { HOME: home });
      const p = r.code === 0 ? JSON.parse(r.stdout).status?.phase : undefined;
      return p === 'Running' ? p : undefined;
    });
    expect(phase).toBe('Running');
    expect(await up.stop('SIGTERM')).toBe(0);
    up = undefined;
  }, 60_000);
});
