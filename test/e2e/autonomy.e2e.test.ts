// Edge autonomy for real: with the master down the agent keeps its pods running and
// restarting — also across its own restart — and when the master returns the resync
// restarts nothing.
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDocker, dockerSocket } from '../helpers/docker.js';
import { Cluster, nodeContainers, removeNodeContainers, shPod } from './cluster.js';

const node = 'e2e-autonomy';
const docker = new Docker({ socketPath: dockerSocket });
let c: Cluster;

async function appContainers(): Promise<Docker.ContainerInfo[]> {
  const all = await nodeContainers(node, ['dev.bramble.pod.name=steady']);
  return all.filter((ci) => ci.Labels['dev.bramble.container'] === 'main');
}

async function running(): Promise<Docker.ContainerInfo | undefined> {
  return (await appContainers()).find((ci) => ci.State === 'running');
}

describeDocker('edge autonomy (master + agent processes, Docker)', () => {
  beforeAll(async () => {
    c = new Cluster();
    await c.startMaster();
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
    await removeNodeContainers(node);
  });

  it('keeps pods running and restarting without the master, and resyncs with zero restarts', async () => {
    const token = await c.nodeToken(node);
    await c.startAgent(node, token);
    const pod = shPod('steady', node, 'while true; do sleep 1; done', 2);
    expect((await c.cli(['apply', '-f', '-'], pod)).code).toBe(0);
    await c.until('pod Running', async () => ((await c.api('GET', '/api/v1/namespaces/default/pods/steady')).body.status?.phase === 'Running' ? true : undefined), 60_000);
    const first = (await c.until('container running', running))!;

    // The gateway goes away.
    await c.stopMaster();
    // The agent dies hard and comes back with no master: the container is left alone.
    await c.stopAgent(node, 'SIGKILL');
    expect((await running())?.Id).toBe(first.Id);
    await c.startAgent(node, token);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await running())?.Id).toBe(first.Id);

    // A crash while the master is down is restarted from local state.
    await docker.getContainer(first.Id).kill({ signal: 'SIGKILL' });
    const second = await c.until('container restarted without the master', async () => {
      const r = await running();
      return r && r.Id !== first.Id ? r : undefined;
    }, 30_000);
    expect(Number(second.Labels['dev.bramble.restart-count'])).toBe(1);

    // The master returns: the agent resyncs, reports, and restarts nothing.
    await c.startMaster();
    const status = await c.until('pod status after resync', async () => {
      const r = await c.api('GET', '/api/v1/namespaces/default/pods/steady');
      const cs = r.body.status?.containerStatuses?.[0];
      return r.body.status?.phase === 'Running' && cs?.restartCount === 1 && cs.containerID?.endsWith(second.Id) ? cs : undefined;
    }, 60_000);
    expect(status.state.running).toBeDefined();
    const node0 = await c.until('node Ready again', async () => {
      const r = await c.api('GET', `/api/v1/nodes/${node}`);
      return r.body.status?.conditions?.find((x: any) => x.type === 'Ready')?.status === 'True' ? r.body : undefined;
    }, 60_000);
    expect(node0.metadata.name).toBe(node);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await appContainers();
    expect(after.filter((ci) => ci.State === 'running').map((ci) => ci.Id)).toEqual([second.Id]);
    expect(after.length).toBeLessThanOrEqual(2); // the one killed may linger as exited, nothing new
  }, 180_000);
});
