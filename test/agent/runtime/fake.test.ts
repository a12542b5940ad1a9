// The runtime contract against the in-memory FakeRuntime, plus its test controls.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeRuntime, type FakeExecHandler } from '../../../src/agent/runtime/fake.js';
import { ImageNotFoundError, RuntimeUnavailableError, type PodRef, type PullProgress } from '../../../src/agent/runtime/runtime.js';
import { runtimeContract, waitFor, type RuntimeHarness } from './contract.js';

/** Answers the few commands the contract runs: `sh -c` with echo/exit, sleep, true. */
const miniShell: FakeExecHandler = async ({ command }) => {
  if (command[0] === 'sleep') {
    await new Promise((r) => setTimeout(r, Number(command[1]) * 1000).unref());
    return { exitCode: 0, output: '' };
  }
  if (command[0] !== 'sh' || command[1] !== '-c') return { exitCode: 0, output: '' };
  let output = '';
  for (const stmt of (command[2] ?? '').split(';').map((s) => s.trim())) {
    const exit = /^exit (\d+)$/.exec(stmt);
    if (exit) return { exitCode: Number(exit[1]), output };
    const echo = /^echo (.*?)( >&2)?$/.exec(stmt);
    if (echo) output += `${echo[1]}\n`;
  }
  return { exitCode: 0, output };
};

function harness(): RuntimeHarness {
  const rt = new FakeRuntime({ missingImages: ['fake/missing'], exec: miniShell });
  let n = 0;
  const behave = (behaviour: Parameters<FakeRuntime['setBehaviour']>[1]) => {
    const image = `fake/workload-${++n}`;
    rt.setBehaviour(image, behaviour);
    return { image };
  };
  rt.setBehaviour('fake/graceful', { exitCodeOnTerm: 0 });
  rt.setBehaviour('fake/term-ignorer', { ignoreTerm: true });
  const node = 'fake-node';
  return {
    runtime: rt,
    runtimeName: 'fake',
    node,
    missingImage: 'fake/missing',
    sleeper: () => ({ image: 'fake/sleeper' }),
    graceful: () => ({ image: 'fake/graceful' }),
    termIgnorer: () => ({ image: 'fake/term-ignorer' }),
    printer: (lines, seconds = 0) => behave({ logLines: lines, exitAfterMs: seconds * 1000 }),
    exiter: (code) => behave({ exitAfterMs: 0, exitCode: code }),
    shell: () => {
      throw new Error('the fake runs no shell');
    },
    async createForeign() {
      const pod = { node: 'another-node', namespace: 'x', name: 'y', uid: randomUUID() };
      return (await rt.createSandbox({ pod, hostname: 'y', ports: [] })).id;
    },
    foreignExists: async (id) => (await rt.inspectContainer(id)) !== undefined,
    removeForeign: (id) => rt.removeContainer(id),
    memoryLimit: async (id) => rt.configOf(id)?.memoryBytes,
    async cleanup() {
      for (const c of await rt.listContainers(node)) await rt.removeContainer(c.id);
    },
  };
}

runtimeContract('fake', false, async () => harness());

describe('FakeRuntime controls', () => {
  const pod = (name = 'p', node = 'n1'): PodRef => ({ node, namespace: 'default', name, uid: randomUUID() });
  const cfg = (p: PodRef, image = 'app:1') => ({ pod: p, name: 'main', image, env: {}, mounts: [], restartCount: 0 });

  async function started(rt: FakeRuntime, image = 'app:1') {
    const p = pod();
    const sb = await rt.createSandbox({ pod: p, hostname: 'p', ports: [] });
    const id = await rt.createContainer(sb.id, cfg(p, image));
    await rt.startContainer(id);
    return id;
  }

  it('crash() ends a running container with an exit code, or as OOMKilled', async () => {
    const rt = new FakeRuntime();
    const a = await started(rt);
    const b = await started(rt);
    rt.crash(a, 2);
    rt.crash(b, 137, { oomKilled: true });
    expect(await rt.inspectContainer(a)).toMatchObject({ state: 'exited', exitCode: 2, reason: 'Error' });
    expect(await rt.inspectContainer(b)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'OOMKilled' });
    expect(() => rt.crash(a, 1)).toThrow(/not running/);
  });

  it('behaviours: log lines at start, exit after a delay', async () => {
    const rt = new FakeRuntime();
    rt.setBehaviour('job:1', { logLines: ['working', 'done'], exitAfterMs: 20, exitCode: 0 });
    const id = await started(rt, 'job:1');
    const info = await waitFor('exit', async () => ((await rt.inspectContainer(id))?.state === 'exited' ? rt.inspectContainer(id) : undefined));
    expect(info).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const logs: string[] = [];
    for await (const b of rt.logs(id, { follow: false })) logs.push(b.toString());
    expect(logs.join('')).toBe('working\ndone\n');
  });

  it('writeLog() reaches a follower live', async () => {
    const rt = new FakeRuntime();
    const id = await started(rt);
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const b of rt.logs(id, { follow: true }, ac.signal)) {
        seen.push(b.toString());
        if (seen.length === 2) rt.crash(id, 0);
      }
    })();
    rt.writeLog(id, 'hello\n');
    rt.writeLog(id, 'world\n');
    await done;
    expect(seen).toEqual(['hello\n', 'world\n']);
  });

  it('host ports: counter, explicit ports, conflicts like an engine, released on stop', async () => {
    const rt = new FakeRuntime({ hostPortRange: [31000, 31999] });
    const port = (hostIP: string, hostPort: number, protocol: 'TCP' | 'UDP' = 'TCP') => ({ containerName: 'c', containerPort: 80, protocol, hostIP, hostPort });
    const a = await rt.createSandbox({ pod: pod('a'), hostname: 'a', ports: [port('127.0.0.1', 0), port('127.0.0.1', 0)] });
    expect(a.ports.map((p) => p.hostPort)).toEqual([31000, 31001]);
    const b = await rt.createSandbox({ pod: pod('b'), hostname: 'b', ports: [port('127.0.0.1', 30080)] });
    expect(b.ports[0]!.hostPort).toBe(30080);
    await expect(rt.createSandbox({ pod: pod('c'), hostname: 'c', ports: [port('0.0.0.0', 30080)] })).rejects.toThrow(/0\.0\.0\.0:30080 failed: port is already allocated/);
    // Another address or another protocol is a different socket.
    await rt.createSandbox({ pod: pod('d'), hostname: 'd', ports: [port('127.0.0.2', 30080), port('127.0.0.1', 30080, 'UDP')] });
    await rt.stopContainer(b.id, 1);
    expect((await rt.inspectSandbox(b.id))?.ip).toBe('');
    await rt.createSandbox({ pod: pod('e'), hostname: 'e', ports: [port('127.0.0.1', 30080)] });
    expect(a.ip).not.toBe(b.ip);
  });

  it('images: present by default, pullable ones are pulled once, missing ones fail', async () => {
    const rt = new FakeRuntime({ missingImages: ['gone:1'], pullableImages: ['new:1'] });
    const progress: PullProgress[] = [];
    await rt.ensureImage('app:1', 'IfNotPresent');
    await expect(rt.ensureImage('new:1', 'Never')).rejects.toBeInstanceOf(ImageNotFoundError);
    await rt.ensureImage('new:1', 'IfNotPresent', (p) => progress.push(p));
    await rt.ensureImage('new:1', 'IfNotPresent');
    await rt.ensureImage('new:1', 'Always');
    await expect(rt.ensureImage('gone:1', 'Always')).rejects.toThrow(/pull failed/);
    expect(rt.pulls).toEqual(['new:1', 'new:1', 'gone:1']);
    expect(progress).toEqual([{ image: 'new:1', status: 'Downloaded newer image' }]);
    rt.setImage('app:1', 'missing');
    await expect(rt.ensureImage('app:1', 'Never')).rejects.toBeInstanceOf(ImageNotFoundError);
  });

  it('exec answers through the handler, with the container config; default exit 0', async () => {
    const rt = new FakeRuntime();
    const id = await started(rt);
    expect(await rt.exec(id, ['anything'], 1000)).toEqual({ exitCode: 0, output: '' });
    rt.setExecHandler(({ command, config, name }) => ({ exitCode: command[0] === 'fail' ? 1 : 0, output: `${name}:${config?.image}` }));
    expect(await rt.exec(id, ['fail'], 1000)).toEqual({ exitCode: 1, output: 'main:app:1' });
  });

  it('stop of a TERM-ignoring container ends early when it is removed meanwhile', async () => {
    const rt = new FakeRuntime();
    rt.setBehaviour('stubborn', { ignoreTerm: true });
    const id = await started(rt, 'stubborn');
    // An hour's grace: only the removal can end this stop before the test times out.
    const stopping = rt.stopContainer(id, 3600);
    await rt.removeContainer(id);
    await stopping;
  });

  it('setAvailable(false) makes every call a RuntimeUnavailableError', async () => {
    const rt = new FakeRuntime();
    rt.setAvailable(false);
    await expect(rt.version()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await expect(rt.listContainers('n1')).rejects.toBeInstanceOf(RuntimeUnavailableError);
    rt.setAvailable(true);
    expect(await rt.listContainers('n1')).toEqual([]);
  });

  it('2000 hollow nodes with a pod each leave no timers behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const runtimes: FakeRuntime[] = [];
    for (let i = 0; i < 2000; i++) {
      const rt = new FakeRuntime();
      const p = pod('web', `node-${i}`);
      const sb = await rt.createSandbox({ pod: p, hostname: 'web', ports: [{ containerName: 'main', containerPort: 80, protocol: 'TCP', hostIP: '10.0.0.1', hostPort: 0 }] });
      for (const name of ['main', 'sidecar']) await rt.startContainer(await rt.createContainer(sb.id, { ...cfg(p), name }));
      runtimes.push(rt);
    }
    expect(timers()).toBe(before);
    expect((await runtimes[1999]!.listContainers('node-1999')).filter((c) => c.state === 'running')).toHaveLength(3);
  });
});
