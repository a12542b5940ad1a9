// `bramble scale` and `bramble rollout` against a real master (child process) with its controllers.
// There are no agents: the test binds the pods and marks them Ready through the API, as a node would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import { ApiClient } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { bramble, ensureBuilt, Running } from './helpers.js';

let dir: string;
let master: Running;
let env: NodeJS.ProcessEnv;
let api: ApiClient;
const pods = resourceByKind('v1', 'Pod') as ResourceType;

const deployment = (image: string, cause: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {kubernetes.io/change-cause: "${cause}"}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
`;

const run = (args: string[]) => bramble(args, env);

async function eventually<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** What an agent would do: bind each pending pod and report it Running and Ready. */
async function startPods(): Promise<void> {
  const list = await api.list(pods, 'default');
  for (const p of list.items) {
    const name = p.metadata.name ?? '';
    if (p.metadata.deletionTimestamp) { await api.delete(pods, 'default', name, { gracePeriodSeconds: 0 }).catch(() => undefined); continue; }
    const spec = p.spec as { nodeName?: string };
    if (!spec.nodeName) await api.bind('default', name, 'pi-1').catch(() => undefined);
    const at = new Date().toISOString();
    await api.patch(pods, 'default', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] } }, 'merge', 'status').catch(() => undefined);
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'bramble-rollout-'));
  env = { HOME: dir, BRAMBLE_KUBECONFIG: '', BRAMBLE_LOG_LEVEL: 'warn' };
  master = new Running(['master', '--data-dir', path.join(dir, 'data'), '--api-port', '0', '--mqtt-port', '0', '--proxy-mode', 'off'], env);
  const kubeconfig = (await master.waitFor(/^Kubeconfig: (.+)$/m))[1]!;
  await master.waitFor(/^Ready\. Press Ctrl-C to stop\.$/m);
  env.BRAMBLE_KUBECONFIG = kubeconfig;
  const kc = loadKubeconfig(kubeconfig);
  api = new ApiClient({ server: kc.server, token: kc.token });
}, 60_000);

afterAll(async () => {
  await master?.stop('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bramble scale and rollout', () => {
  it('rollout status waits for availability and times out with exit 1 while pods are not ready', async () => {
    writeFileSync(path.join(dir, 'web.yaml'), deployment('busybox:1.36', 'first'));
    expect((await run(['apply', '-f', path.join(dir, 'web.yaml')])).code).toBe(0);
    const r = await run(['rollout', 'status', 'deployment/web', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Waiting for deployment "web" rollout to finish: \d+ (out of 2 new replicas have been updated|of 2 updated replicas are available)\.\.\.$/m);
    expect(r.stderr).toBe('error: timed out waiting for the condition\n');
  });

  it('rollout status reports success once the pods are ready', async () => {
    await eventually('two pods', async () => ((await api.list(pods, 'default')).items.length === 2 ? true : undefined));
    await startPods();
    const r = await run(['rollout', 'status', 'deploy', 'web', '--timeout', '30s']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('deployment "web" successfully rolled out');
  });

  it('scale sets the replicas and the ReplicaSet follows', async () => {
    const r = await run(['scale', 'deployment/web', '--replicas', '3']);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    const rs = await eventually('the ReplicaSet at 3', async () => {
      const t = await run(['get', 'rs']);
      return /^web-\S+\s+3\s+3\s+\d+\s+\S+$/m.test(t.stdout) ? t.stdout : undefined;
    });
    expect(rs).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
    const wrong = await run(['scale', 'deployment/web', '--replicas', '1', '--current-replicas', '2']);
    expect(wrong).toMatchObject({ code: 1, stderr: 'error: Expected replicas to be 2, was 3\n' });
    const ds = await run(['scale', 'daemonset/x', '--replicas', '1']);
    expect(ds.code).toBe(1);
  });

  it('history lists revisions with their change-cause; undo rolls back to the previous template', async () => {
    writeFileSync(path.join(dir, 'web.yaml'), deployment('busybox:1.37', 'second').replace('replicas: 2', 'replicas: 3'));
    expect((await run(['apply', '-f', path.join(dir, 'web.yaml')])).code).toBe(0);
    const h = await eventually('revision 2', async () => {
      const r = await run(['rollout', 'history', 'deployment/web']);
      return r.stdout.includes('\n2 ') ? r : undefined;
    });
    expect(h.stdout).toMatch(/^deployment\.apps\/web\nREVISION\s+CHANGE-CAUSE\n1\s+first\n2\s+second\n$/);
    const one = await run(['rollout', 'history', 'deployment/web', '--revision', '1']);
    expect(one.stdout).toMatch(/^deployment\.apps\/web with revision #1\nPod Template:\n/);
    expect(one.stdout).toContain('image: busybox:1.36');

    const undo = await run(['rollout', 'undo', 'deployment/web']);
    expect(undo).toMatchObject({ code: 0, stdout: 'deployment.apps/web rolled back\n' });
    const d = await eventually('revision 3', async () => {
      const obj = parse((await run(['get', 'deploy', 'web', '-o', 'yaml'])).stdout);
      return obj.metadata.annotations['deployment.kubernetes.io/revision'] === '3' ? obj : undefined;
    });
    expect(d.spec.template.spec.containers[0].image).toBe('busybox:1.36');
    expect(d.spec.template.metadata.labels).toEqual({ app: 'web' });
    const after = await run(['rollout', 'history', 'deployment/web']);
    expect(after.stdout).toMatch(/^deployment\.apps\/web\nREVISION\s+CHANGE-CAUSE\n2\s+second\n3\s+first\n$/);

    const missing = await run(['rollout', 'undo', 'deployment/web', '--to-revision', '9']);
    expect(missing).toMatchObject({ code: 1, stderr: 'error: unable to find specified revision 9 in history\n' });
    const same = await run(['rollout', 'undo', 'deployment/web', '--to-revision', '3']);
    expect(same).toMatchObject({ code: 0, stdout: 'deployment.apps/web skipped rollback (current template already matches revision 3)\n' });
  });

  it('get prints the workload tables as kubectl does', async () => {
    const d = await run(['get', 'deploy']);
    expect(d.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+\d\/3\s+\d\s+\d\s+\S+\n$/);
  });
});
