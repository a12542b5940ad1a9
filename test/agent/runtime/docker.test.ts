// The runtime contract against the real Docker Engine (skipped loudly without one, never in CI),
// plus what only Docker has: the pause image build, socket errors, offline pulls.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, expect, it } from 'vitest';
import { DockerRuntime } from '../../../src/agent/runtime/docker.js';
import { ImageNotFoundError, RuntimeUnavailableError, runtimeLabels, type PullProgress } from '../../../src/agent/runtime/runtime.js';
import { silentLogger } from '../../../src/log/logger.js';
import { describeDocker, dockerSocket, testImage } from '../../helpers/docker.js';
import { runtimeContract, type RuntimeHarness, type Workload } from './contract.js';

const docker = new Docker({ socketPath: dockerSocket });
const node = `test-${process.pid}-${randomBytes(3).toString('hex')}`;
const foreignTag = `dev.bramble.test.foreign=${node}`;

async function removeWhere(label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

function harness(): RuntimeHarness {
  const shell = (script: string): Workload => ({ image: testImage, command: ['sh', '-c', script] });
  return {
    runtime: new DockerRuntime({ logger: silentLogger(), socketPath: dockerSocket }),
    runtimeName: 'docker',
    node,
    missingImage: 'bramble-test/absent:404',
    sleeper: () => ({ image: testImage, command: ['sleep', '1000'] }),
    graceful: () => shell('trap "echo bye; exit 0" TERM; sleep 1000 & wait'),
    termIgnorer: () => shell('trap "" TERM; sleep 1000'),
    printer: (lines, seconds = 0) => {
      const echo = lines.map((l) => `echo ${l}${l.startsWith('err') ? ' >&2' : ''}`);
      return shell([echo[0] ?? 'true', ...(seconds > 0 ? [`sleep ${seconds}`] : []), ...echo.slice(1)].join('; '));
    },
    exiter: (code) => shell(`exit ${code}`),
    shell,
    async createForeign() {
      // Not ours at all (no labels), and one that claims to be Bramble's but for another node.
      const other = await docker.createContainer({ Image: testImage, Cmd: ['sleep', '1000'], Labels: { 'dev.bramble.test.foreign': node, [runtimeLabels.managed]: 'true', [runtimeLabels.node]: `${node}-other` } });
      const c = await docker.createContainer({ Image: testImage, Cmd: ['sleep', '1000'], Labels: { 'dev.bramble.test.foreign': node }, HostConfig: { Init: true } });
      await c.start();
      expect((await this.runtime.listContainers(`${node}-other`)).map((x) => x.id)).toEqual([other.id]);
      return c.id;
    },
    async foreignExists(id) {
      return (await docker.getContainer(id).inspect().then(() => true, () => false));
    },
    async removeForeign() {
      await removeWhere(foreignTag);
    },
    async memoryLimit(id) {
      return (await docker.getContainer(id).inspect()).HostConfig.Memory;
    },
    async cleanup() {
      await removeWhere(`${runtimeLabels.node}=${node}`);
    },
  };
}

describeDocker('DockerRuntime', () => {
  runtimeContract('docker', true, async () => harness());

  afterAll(async () => {
    await removeWhere(`${runtimeLabels.node}=${node}`);
    await removeWhere(foreignTag);
  });

  it('does not inspect containers it does not manage', async () => {
    const rt = harness().runtime;
    const c = await docker.createContainer({ Image: testImage, Cmd: ['true'], Labels: { 'dev.bramble.test.foreign': node } });
    expect(await rt.inspectContainer(c.id)).toBeUndefined();
    expect(await rt.inspectSandbox(c.id)).toBeUndefined();
  });

  it('builds the pause image from busybox on first use', async () => {
    const image = `bramble-test/pause:${node}`;
    const rt = new DockerRuntime({ logger: silentLogger(), socketPath: dockerSocket, infraImage: image });
    try {
      const pod = { node, namespace: 'pause', name: 'p', uid: randomBytes(8).toString('hex') };
      const sb = await rt.createSandbox({ pod, hostname: 'p', ports: [] });
      const info = await rt.inspectContainer(sb.id);
      expect(info).toMatchObject({ isSandbox: true, state: 'running', image });
      // docker-init forwards SIGTERM to the sleep: it exits on TERM (143), not on the grace deadline's KILL (137).
      await rt.stopContainer(sb.id, 10);
      // (not 137; and an exit code at all: `.not.toBe(137)` alone passed on a container that was gone.)
      expect(await rt.inspectContainer(sb.id)).toMatchObject({ state: 'exited', exitCode: 143 });
    } finally {
      await removeWhere(`${runtimeLabels.node}=${node}`);
      await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    }
  });

  it('says how to install busybox-static when the pause image cannot be built', async () => {
    const rt = new DockerRuntime({ logger: silentLogger(), socketPath: dockerSocket, infraImage: `bramble-test/pause:never-${node}`, busyboxPath: '/nonexistent/busybox' });
    const pod = { node, namespace: 'pause', name: 'q', uid: randomBytes(8).toString('hex') };
    const err = await rt.createSandbox({ pod, hostname: 'q', ports: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as RuntimeUnavailableError).hint).toMatch(/busybox-static/);
  });

  it('Always: offline with a local image keeps the local one and says so', async () => {
    const rt = harness().runtime;
    // Tag the test image under a registry name that cannot resolve: the pull fails at once.
    const name = 'registry.invalid/bramble/offline';
    await docker.getImage(testImage).tag({ repo: name, tag: node });
    try {
      const progress: PullProgress[] = [];
      await rt.ensureImage(`${name}:${node}`, 'Always', (p) => progress.push(p));
      expect(progress.at(-1)?.status).toMatch(/using the local image/);
      const err = await rt.ensureImage(`${name}:absent`, 'Always').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageNotFoundError);
      expect((err as Error).message).toMatch(/pull failed/);
    } finally {
      await docker.getImage(`${name}:${node}`).remove().catch(() => undefined);
    }
  });
});

// No engine needed: a socket that is not there.
it('names the socket and how to install Docker when the engine is unreachable', async () => {
  const rt = new DockerRuntime({ logger: silentLogger(), socketPath: '/nonexistent/docker.sock' });
  const err = await rt.version().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RuntimeUnavailableError);
  expect((err as Error).message).toContain('/nonexistent/docker.sock');
  expect((err as RuntimeUnavailableError).hint).toMatch(/apt-get install docker\.io containerd runc/);
  expect((err as RuntimeUnavailableError).hint).toMatch(/systemctl enable --now docker/);
});

