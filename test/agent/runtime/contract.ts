// The ContainerRuntime contract, run against every implementation (fake.test.ts, docker.test.ts).
// A harness supplies the runtime and "workloads" (image + command) that behave alike on each:
// on Docker they are busybox shell commands, on the fake they are images with behaviours.
// Tests that need real processes, network or file system run only when `real` is set.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ImageNotFoundError,
  type ContainerConfig,
  type ContainerInfo,
  type ContainerRuntime,
  type PodRef,
  type Sandbox,
} from '../../../src/agent/runtime/runtime.js';

export interface Workload {
  image: string;
  command?: string[];
  args?: string[];
}

export interface RuntimeHarness {
  runtime: ContainerRuntime;
  /** The runtime's name as version() reports it. */
  runtimeName: string;
  node: string;
  /** An image the runtime does not have and cannot pull. */
  missingImage: string;
  /** Runs until stopped; SIGTERM ends it. */
  sleeper(): Workload;
  /** Traps SIGTERM, prints "bye" and exits 0. */
  graceful(): Workload;
  /** Ignores SIGTERM: only the SIGKILL at the end of the grace period stops it. */
  termIgnorer(): Workload;
  /** Prints the first line, waits `seconds`, prints the rest ("err..." ones on stderr), exits 0. */
  printer(lines: string[], seconds?: number): Workload;
  exiter(code: number): Workload;
  /** For real runtimes: a busybox workload from a shell script. */
  shell(script: string): Workload;
  /** A container on the same engine that is not this node's. */
  createForeign(): Promise<string>;
  foreignExists(id: string): Promise<boolean>;
  removeForeign(id: string): Promise<void>;
  /** The memory limit the engine applied, in bytes. */
  memoryLimit(id: string): Promise<number | undefined>;
  /** Remove every container of `node`, whatever state the runtime is in. */
  cleanup(): Promise<void>;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}

/** `real`: also run the tests that need real processes, network and files (the harness's `real`). */
export function runtimeContract(label: string, real: boolean, makeHarness: () => Promise<RuntimeHarness>): void {
  describe(`ContainerRuntime contract: ${label}`, () => {
    let h: RuntimeHarness;
    let rt: ContainerRuntime;
    let podSerial = 0;

    beforeAll(async () => {
      h = await makeHarness();
      rt = h.runtime;
    });
    afterEach(async () => h.cleanup());
    afterAll(async () => h?.cleanup());

    function newPod(): PodRef {
      return { node: h.node, namespace: 'contract', name: `pod-${++podSerial}`, uid: randomUUID() };
    }

    function config(pod: PodRef, name: string, w: Workload, extra: Partial<ContainerConfig> = {}): ContainerConfig {
      return { pod, name, image: w.image, command: w.command, args: w.args, env: {}, mounts: [], restartCount: 0, ...extra };
    }

    async function sandbox(pod: PodRef, ports: Sandbox['ports'] = []): Promise<Sandbox> {
      return rt.createSandbox({ pod, hostname: pod.name, ports });
    }

    /** A pod with one started container. */
    async function run(w: Workload, extra: Partial<ContainerConfig> = {}): Promise<{ pod: PodRef; sb: Sandbox; id: string }> {
      const pod = newPod();
      const sb = await sandbox(pod);
      const id = await rt.createContainer(sb.id, config(pod, 'main', w, extra));
      await rt.startContainer(id);
      return { pod, sb, id };
    }

    async function exited(id: string): Promise<ContainerInfo> {
      return waitFor(`${id} to exit`, async () => {
        const c = await rt.inspectContainer(id);
        return c?.state === 'exited' ? c : undefined;
      });
    }

    it('reports its version', async () => {
      const v = await rt.version();
      expect(v.runtime).toBe(h.runtimeName);
      expect(v.version).not.toBe('');
    });

    describe('images', () => {
      it('Never: a missing image is an ImageNotFoundError; a present one is fine', async () => {
        await expect(rt.ensureImage(h.missingImage, 'Never')).rejects.toBeInstanceOf(ImageNotFoundError);
        await rt.ensureImage(h.sleeper().image, 'Never');
      });

      it('IfNotPresent: a present image needs no pull; a missing unpullable one fails', async () => {
        await rt.ensureImage(h.sleeper().image, 'IfNotPresent');
        await expect(rt.ensureImage(h.missingImage, 'IfNotPresent')).rejects.toBeInstanceOf(ImageNotFoundError);
      });

      it('creating a container from a missing image is an ImageNotFoundError', async () => {
        const pod = newPod();
        const sb = await sandbox(pod);
        await expect(rt.createContainer(sb.id, config(pod, 'main', { image: h.missingImage }))).rejects.toBeInstanceOf(ImageNotFoundError);
      });
    });

    describe('pods', () => {
      it('a sandbox and two containers: one IP, published ports, listed and inspected', async () => {
        const pod = newPod();
        const sb = await sandbox(pod, [{ containerName: 'web', containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 0 }]);
        expect(sb.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(sb.ports).toHaveLength(1);
        expect(sb.ports[0]).toMatchObject({ containerName: 'web', containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1' });
        expect(sb.ports[0]!.hostPort).toBeGreaterThan(0);

        const a = await rt.createContainer(sb.id, config(pod, 'a', h.sleeper()));
        const b = await rt.createContainer(sb.id, config(pod, 'b', h.sleeper(), { restartCount: 2 }));
        expect((await rt.inspectContainer(a))?.state).toBe('created');
        await rt.startContainer(a);
        await rt.startContainer(b);

        const list = await rt.listContainers(h.node);
        expect(list.map((c) => c.id).sort()).toEqual([sb.id, a, b].sort());
        const infra = list.find((c) => c.id === sb.id)!;
        expect(infra).toMatchObject({ isSandbox: true, name: '', state: 'running', pod });
        const cb = list.find((c) => c.id === b)!;
        expect(cb).toMatchObject({ isSandbox: false, name: 'b', state: 'running', restartCount: 2, pod, image: h.sleeper().image });
        expect(cb.pid).toBeGreaterThan(0);
        expect(cb.startedAt).toBeDefined();

        expect(await rt.inspectSandbox(sb.id)).toEqual(sb);
        expect(await rt.inspectSandbox(a)).toBeUndefined();
      });

      it('an explicit host port is honoured, and a taken one is refused without leftovers', async () => {
        const port = await freeFixedPort();
        const binding = { containerName: 'web', containerPort: 80, protocol: 'TCP' as const, hostIP: '127.0.0.1', hostPort: port };
        const first = await sandbox(newPod(), [binding]);
        expect(first.ports[0]!.hostPort).toBe(port);
        await expect(sandbox(newPod(), [binding])).rejects.toThrow(/already allocated|in use/);
        expect((await rt.listContainers(h.node)).map((c) => c.id)).toEqual([first.id]);
      });

      it('a restarted container is a new container; a leftover never started is replaced', async () => {
        const pod = newPod();
        const sb = await sandbox(pod);
        const first = await rt.createContainer(sb.id, config(pod, 'main', h.sleeper()));
        const again = await rt.createContainer(sb.id, config(pod, 'main', h.sleeper()));
        expect(again).not.toBe(first);
        expect(await rt.inspectContainer(first)).toBeUndefined();
        await rt.startContainer(again);
        await expect(rt.createContainer(sb.id, config(pod, 'main', h.sleeper()))).rejects.toThrow(/in use|Conflict/i);
        const next = await rt.createContainer(sb.id, config(pod, 'main', h.sleeper(), { restartCount: 1 }));
        expect((await rt.inspectContainer(next))?.restartCount).toBe(1);
      });

      it('only lists (and so only cleans up) its own node containers', async () => {
        const foreign = await h.createForeign();
        try {
          const { id } = await run(h.sleeper());
          const listed = (await rt.listContainers(h.node)).map((c) => c.id);
          expect(listed).toContain(id);
          expect(listed).not.toContain(foreign);
          for (const c of await rt.listContainers(h.node)) await rt.removeContainer(c.id);
          expect(await rt.listContainers(h.node)).toEqual([]);
          expect(await h.foreignExists(foreign)).toBe(true);
        } finally {
          await h.removeForeign(foreign);
        }
      });

      it('removal is idempotent', async () => {
        const { id } = await run(h.sleeper());
        await rt.removeContainer(id);
        await rt.removeContainer(id);
        expect(await rt.inspectContainer(id)).toBeUndefined();
        await rt.stopContainer(id, 1); // stopping something gone is not an error either
      });

      it('applies the memory limit', async () => {
        const { id } = await run(h.sleeper(), { memoryBytes: 32 * 1024 * 1024 });
        expect(await h.memoryLimit(id)).toBe(32 * 1024 * 1024);
      });
    });

    describe('exits and stops', () => {
      it('listings follow a container from running to exited (exit code, finish time), for the node or one pod', async () => {
        const a = await run(h.printer(['one', 'two'], 1));
        // Listed before starting b: a runs for 1 s only, and starting b may take that long under load.
        const first = (await rt.listContainers(h.node)).find((c) => c.id === a.id);
        expect(first?.state).toBe('running');
        const b = await run(h.sleeper());
        const done = await waitFor('a listed as exited', async () => (await rt.listContainers(h.node)).find((c) => c.id === a.id && c.state === 'exited'));
        expect(done).toMatchObject({ exitCode: 0, reason: 'Completed' });
        expect(done.finishedAt).toBeDefined();
        expect((await rt.listContainers(h.node, a.pod.uid)).map((c) => c.id).sort()).toEqual([a.id, a.sb.id].sort());
        expect((await rt.listContainers(h.node, b.pod.uid)).map((c) => c.id).sort()).toEqual([b.id, b.sb.id].sort());
      });

      it('exit 0 is Completed, non-zero is Error, with the exit code', async () => {
        const ok = await run(h.exiter(0));
        const bad = await run(h.exiter(3));
        expect(await exited(ok.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
        const info = await exited(bad.id);
        expect(info).toMatchObject({ exitCode: 3, reason: 'Error' });
        expect(info.finishedAt).toBeDefined();
        expect(info.pid).toBeUndefined();
      });

      it('a container handling SIGTERM stops well within its grace period', async () => {
        const { id } = await run(h.graceful());
        await rt.stopContainer(id, 10);
        // Exit 0, not 137: it ended on SIGTERM, before the grace deadline's SIGKILL.
        expect(await rt.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 0 });
        await rt.stopContainer(id, 10); // already stopped: fine
      });

      it('a container ignoring SIGTERM is killed at the grace deadline', async () => {
        const { id } = await run(h.termIgnorer());
        const t0 = Date.now();
        await rt.stopContainer(id, 2);
        // A lower bound only: load can make it later, never earlier than the grace period.
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
        expect(await rt.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 137 });
      });
    });

    describe('logs', () => {
      it('stdout and stderr, all or the tail, after the container exited', async () => {
        const mixed = await run(h.printer(['one', 'err two', 'three']));
        const plain = await run(h.printer(['a', 'b', 'c']));
        await exited(mixed.id);
        await exited(plain.id);
        // stdout and stderr are separate pipes: their relative order is not guaranteed.
        const all = await collect(rt.logs(mixed.id, { follow: false }));
        expect(all.split('\n').sort()).toEqual(['', 'err two', 'one', 'three']);
        expect(await collect(rt.logs(plain.id, { follow: false }))).toBe('a\nb\nc\n');
        expect(await collect(rt.logs(plain.id, { follow: false, tailLines: 2 }))).toBe('b\nc\n');
        const stamped = (await collect(rt.logs(plain.id, { follow: false, timestamps: true }))).trim().split('\n');
        expect(stamped).toHaveLength(3);
        expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z a$/);
      });

      it('follow streams until the container exits', async () => {
        const { id } = await run(h.printer(['first', 'second'], 1));
        expect(await collect(rt.logs(id, { follow: true }))).toBe('first\nsecond\n');
        expect((await rt.inspectContainer(id))?.state).toBe('exited');
      });

      it('follow ends when the signal aborts', async () => {
        const { id } = await run(h.sleeper());
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 300);
        // The sleeper never exits: only the abort can end this stream (else the test times out).
        expect(await collect(rt.logs(id, { follow: true }, ac.signal))).toBe('');
      });
    });

    describe('exec', () => {
      it('returns the exit code and the output', async () => {
        const { id } = await run(h.sleeper());
        expect(await rt.exec(id, ['sh', '-c', 'exit 0'], 5_000)).toEqual({ exitCode: 0, output: '' });
        const r = await rt.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'], 5_000);
        expect(r.exitCode).toBe(3);
        expect(r.output).toContain('out\n');
        expect(r.output).toContain('err\n');
      });

      it('times out with exit code -1 instead of hanging', async () => {
        const { id } = await run(h.sleeper());
        const r = await rt.exec(id, ['sleep', '30'], 500);
        expect(r.exitCode).toBe(-1);
        expect(r.output).toMatch(/timed out/);
      });

      it('fails on a container that is not running', async () => {
        const { id } = await run(h.exiter(0));
        await exited(id);
        await expect(rt.exec(id, ['true'], 1_000)).rejects.toThrow(/not running/i);
      });
    });

    // Only where processes, network and files are real (not registered at all for the fake).
    if (real) describe('real processes, network and files', () => {
      it('containers of a pod share localhost; published ports reach the host', async () => {
        const pod = newPod();
        const sb = await sandbox(pod, [{ containerName: 'web', containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 0 }]);
        const web = await rt.createContainer(sb.id, config(pod, 'web', h.shell('httpd -f -p 8080 -h /www')));
        const client = await rt.createContainer(sb.id, config(pod, 'client', h.sleeper()));
        await rt.startContainer(web);
        await rt.startContainer(client);
        const r = await waitFor('httpd to answer on localhost', async () => {
          const res = await rt.exec(client, ['wget', '-qO-', 'http://127.0.0.1:8080/'], 5_000);
          return res.exitCode === 0 ? res : undefined;
        });
        expect(r.output).toBe('hello from bramble-test\n');
        const res = await fetch(`http://127.0.0.1:${sb.ports[0]!.hostPort}/`);
        expect(await res.text()).toBe('hello from bramble-test\n');
        // The app container answers on the sandbox's IP, and has the pod's hostname.
        expect((await rt.exec(client, ['wget', '-qO-', `http://${sb.ip}:8080/`], 5_000)).exitCode).toBe(0);
        expect((await rt.exec(client, ['hostname'], 5_000)).output.trim()).toBe(pod.name);
      });

      it('env, working dir and user', async () => {
        const { id } = await run(h.sleeper(), { env: { GREETING: 'hello world', EMPTY: '' }, workingDir: '/tmp', user: 'nobody' });
        const r = await rt.exec(id, ['sh', '-c', 'echo "$GREETING|${EMPTY-unset}"; pwd; id -u'], 5_000);
        expect(r).toEqual({ exitCode: 0, output: 'hello world|\n/tmp\n65534\n' });
      });

      it('command replaces the entrypoint (and the image CMD), args replace CMD', async () => {
        const cases: [Partial<ContainerConfig>, string][] = [
          [{ command: ['echo', 'from-command'] }, 'from-command\n'],
          [{ args: ['echo', 'from-args'] }, 'from-args\n'],
          [{ command: ['echo'], args: ['a', 'b'] }, 'a b\n'],
        ];
        for (const [extra, expected] of cases) {
          const { id } = await run({ image: h.sleeper().image }, extra);
          await exited(id);
          expect(await collect(rt.logs(id, { follow: false }))).toBe(expected);
        }
      });

      it('bind mounts: read-only is enforced, read-write writes through', async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'bramble-mount-'));
        try {
          await writeFile(path.join(dir, 'config.txt'), 'from the host\n');
          const mounts = [
            { hostPath: dir, containerPath: '/config', readOnly: true },
            { hostPath: dir, containerPath: '/data', readOnly: false },
          ];
          const { id } = await run(h.sleeper(), { mounts });
          expect(await rt.exec(id, ['cat', '/config/config.txt'], 5_000)).toEqual({ exitCode: 0, output: 'from the host\n' });
          const ro = await rt.exec(id, ['sh', '-c', 'echo x > /config/new.txt'], 5_000);
          expect(ro.exitCode).not.toBe(0);
          expect(ro.output).toMatch(/read-only/i);
          expect((await rt.exec(id, ['sh', '-c', 'echo written > /data/out.txt'], 5_000)).exitCode).toBe(0);
          expect(await readFile(path.join(dir, 'out.txt'), 'utf8')).toBe('written\n');
          await rt.removeContainer(id); // before the directory goes
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });

      it('a container over its memory limit is OOMKilled', async () => {
        const { id } = await run(h.shell('x=$(head -c 134217728 /dev/zero | tr "\\0" a); echo survived'), { memoryBytes: 16 * 1024 * 1024 });
        const info = await exited(id);
        expect(info.reason).toBe('OOMKilled');
        expect(info.exitCode).not.toBe(0);
      });
    });
  });
}

/**
 * A port below the ephemeral range (where engines and clients pick dynamic ports, which a
 * random choice there could collide with), checked free on 127.0.0.1.
 */
async function freeFixedPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
