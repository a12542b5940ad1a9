// One NetCluster shared by the tests of a describe block (inside describeNetCluster).
// Started in a memoized beforeEach, not beforeAll: if it cannot start, every test fails with
// the reason (a failing beforeAll would only mark them skipped, and CI must not pass on that).
import { afterAll, afterEach, beforeEach } from 'vitest';
import { NetCluster, type NetClusterOptions } from './index.js';

export function useNetCluster(opts: NetClusterOptions = {}, startTimeoutMs = 180_000): () => NetCluster {
  let starting: Promise<NetCluster> | undefined;
  let cluster: NetCluster | undefined;
  beforeEach(async () => {
    starting ??= NetCluster.start(opts);
    cluster = await starting;
  }, startTimeoutMs);
  // A failed test shows what the processes said last (vitest prints it under the test).
  afterEach(({ task }) => {
    if (task.result?.state === 'fail' && cluster) console.log(`netcluster ${cluster.id} at the failure:\n${cluster.diagnostics()}`);
  });
  afterAll(async () => {
    const c = await starting?.catch(() => undefined);
    await c?.stop();
  }, 60_000);
  return () => {
    if (!cluster) throw new Error('the NetCluster is not started (use the returned getter inside tests)');
    return cluster;
  };
}
