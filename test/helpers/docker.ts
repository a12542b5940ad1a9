// Docker-backed tests: run them when an engine is reachable. Without one, skip them loudly
// on a developer machine, but never in CI (CI=true): there the suite runs and fails, so a
// broken Docker setup cannot pass as green.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { beforeEach, describe, type RunnerTask, type RunnerTestSuite } from 'vitest';
import { getCurrentSuite } from 'vitest/suite';

export const dockerSocket = process.env.BRAMBLE_DOCKER_SOCKET ?? '/var/run/docker.sock';
export const testImage = 'bramble-test/busybox:1';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function dockerAvailable(socketPath = dockerSocket): Promise<boolean> {
  try {
    await new Docker({ socketPath, timeout: 3000 }).ping();
    return true;
  } catch {
    return false;
  }
}

let imageReady: Promise<void> | undefined;

/** Build bramble-test/busybox:1 once per test process (the script is idempotent across processes). */
export function ensureTestImage(): Promise<void> {
  imageReady ??= promisify(execFile)(path.join(root, 'scripts', 'test-image.sh'), [], { timeout: 60_000 }).then(
    () => undefined,
    (err: Error & { stderr?: string }) => {
      imageReady = undefined;
      throw new Error(`scripts/test-image.sh failed: ${err.stderr?.trim() || err.message}`);
    },
  );
  return imageReady;
}

const reachable = await dockerAvailable();

function countTests(t: RunnerTask): number {
  return t.type === 'test' ? 1 : (t as RunnerTestSuite).tasks.reduce((n, c) => n + countTests(c), 0);
}

/** describe() for tests that need a Docker Engine (see the header comment for when it skips). */
export function describeDocker(name: string, fn: () => void): void {
  if (reachable || process.env.CI === 'true') {
    describe(name, () => {
      // beforeEach, not beforeAll: a failing beforeAll marks the tests "skipped", and CI must
      // count them as failed. The image is built once (memoized), so later calls cost nothing.
      beforeEach(async () => {
        if (!reachable) throw new Error(`Docker not reachable at ${dockerSocket} (CI=true: docker tests must run). Start containerd and dockerd.`);
        await ensureTestImage();
      }, 90_000);
      fn();
    });
    return;
  }
  describe.skip(name, () => {
    const suite = getCurrentSuite();
    fn();
    // Collected after fn's nested suites, so every skipped test can be counted for the warning.
    describe('(docker not reachable)', () => {
      let n = 0;
      for (const t of suite.tasks) n += t.type === 'collector' ? (t.suite ? countTests(t.suite) : 0) : countTests(t);
      console.warn(`⚠ Docker not reachable at ${dockerSocket}: skipping ${n} docker tests; install docker.io and start dockerd to run them`);
    });
  });
}
