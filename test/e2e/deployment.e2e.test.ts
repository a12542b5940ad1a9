// A Deployment for real: bramble master (scheduler + controllers) and one agent on Docker as
// processes. 3 replicas run as containers, a rolling update replaces them with the new
// template, and `bramble rollout undo` brings the first template back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDocker, testImage } from '../helpers/docker.js';
import { Cluster, nodeContainers, removeNodeContainers } from './cluster.js';

const node = 'e2e-deploy-pi';
let c: Cluster;

function manifest(version: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: { name: hello }
spec:
  replicas: 3
  selector: { matchLabels: { app: hello } }
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  template:
    metadata: { labels: { app: hello } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: ${testImage}
          imagePullPolicy: Never
          env: [{ name: VERSION, value: "${version}" }]
          command: ["sh", "-c", "echo version=$VERSION; exec sleep 3600"]
          readinessProbe:
            exec: { command: ["true"] }
            periodSeconds: 1
`;
}

interface PodView { name: string; uid: string; ready: boolean; version: string | undefined }

async function pods(): Promise<PodView[]> {
  const r = await c.api('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dhello');
  return (r.body.items as any[]).filter((p) => !p.metadata.deletionTimestamp).map((p) => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    ready: (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True'),
    version: p.spec.containers[0].env?.find((e: any) => e.name === 'VERSION')?.value,
  }));
}

/** Running app containers of the Deployment on the node, by pod uid. */
async function containersByVersion(): Promise<Map<string, number>> {
  const running = (await nodeContainers(node)).filter((x) => x.State === 'running' && x.Labels['dev.bramble.container'] === 'main');
  const wanted = await pods();
  const counts = new Map<string, number>();
  for (const p of wanted) {
    if (running.some((x) => x.Labels['dev.bramble.pod.uid'] === p.uid)) counts.set(p.version ?? '', (counts.get(p.version ?? '') ?? 0) + 1);
  }
  return counts;
}

async function rolledOutTo(version: string): Promise<void> {
  await c.until(`3 ready pods of ${version} and nothing else`, async () => {
    const all = await pods();
    return all.length === 3 && all.every((p) => p.ready && p.version === version) ? true : undefined;
  }, 120_000);
  const status = await c.cli(['rollout', 'status', 'deployment/hello', '--timeout', '60s']);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('successfully rolled out');
  await c.until(`3 running containers of ${version}`, async () => {
    const counts = await containersByVersion();
    return counts.get(version) === 3 && counts.size === 1 ? true : undefined;
  }, 60_000);
}

describeDocker('a Deployment on a real node (Docker)', () => {
  beforeAll(async () => {
    c = await Cluster.withNode(node);
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
    await removeNodeContainers(node);
  });

  it('runs 3 replicas, rolls to a new template, and rolls back', async () => {
    const applied = await c.cli(['apply', '-f', '-'], manifest('one'));
    expect(applied.code).toBe(0);
    await rolledOutTo('one');
    const logs = await c.cli(['logs', (await pods())[0]!.name]);
    expect(logs.stdout).toContain('version=one');

    expect((await c.cli(['apply', '-f', '-'], manifest('two'))).code).toBe(0);
    await rolledOutTo('two');
    const history = await c.cli(['rollout', 'history', 'deployment/hello']);
    expect(history.stdout).toMatch(/^1\s/m);
    expect(history.stdout).toMatch(/^2\s/m);

    const undo = await c.cli(['rollout', 'undo', 'deployment/hello']);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain('rolled back');
    await rolledOutTo('one');
  }, 300_000);
});
