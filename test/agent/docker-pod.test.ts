// One real pod through the pod manager on Docker: sandbox with a published port, httpd from
// busybox, env and a ConfigMap volume, an HTTP readiness probe to the pod IP, then deletion.
import http from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { systemClock } from '../../src/agent/clock.js';
import { kubeletBackoff } from '../../src/agent/pods/backoff.js';
import { PodManager } from '../../src/agent/pods/manager.js';
import { kubeProbeDefaults } from '../../src/agent/pods/probes.js';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { silentLogger } from '../../src/log/logger.js';
import type { PodStatusReport } from '../../src/protocol/messages.js';
import { describeDocker, dockerSocket, testImage } from '../helpers/docker.js';
import { bundle, pod, tempDir } from './helpers.js';

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); });

describeDocker('agent pod manager on Docker', () => {
  it('runs a real pod: port published on the node, env, ConfigMap file, readiness over HTTP; deletion removes it', async () => {
    const node = `agent-test-${process.pid}`;
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const runtime = new DockerRuntime({ socketPath: dockerSocket, logger: silentLogger() });
    const reports: PodStatusReport[] = [];
    const pm = new PodManager({
      nodeName: node, runtime, dataDir: dir, clock: systemClock, logger: silentLogger(), hostIP: () => '127.0.0.1',
      backoff: kubeletBackoff, probeDefaults: kubeProbeDefaults, syncPeriodMs: 200, orphanGraceSeconds: 1,
      nodeCpuMillis: 1000, nodeMemoryBytes: 2 ** 30, onStatus: (r) => reports.push(r),
    });
    cleanups.push(async () => {
      await pm.stop();
      for (const c of await runtime.listContainers(node)) await runtime.removeContainer(c.id);
    });
    const p = pod('httpd', {
      volumes: [{ name: 'www', configMap: { name: 'site' } }],
      containers: [{
        name: 'web', image: testImage, imagePullPolicy: 'Never',
        command: ['sh', '-c', 'mkdir -p /tmp/www; echo "$GREETING from $(POD_NAME)" > /tmp/www/hello; cp /site/index.html /tmp/www/; exec httpd -f -p 8080 -h /tmp/www'],
        env: [{ name: 'GREETING', value: 'hi' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        ports: [{ containerPort: 8080 }],
        volumeMounts: [{ name: 'www', mountPath: '/site' }],
        readinessProbe: { httpGet: { path: '/hello', port: 8080 }, periodSeconds: 1 },
        resources: { limits: { memory: '32Mi', cpu: '200m' } },
      }],
      terminationGracePeriodSeconds: 2,
    }, { uid: `uid-docker-${process.pid}` });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site' }, data: { 'index.html': '<h1>bramble</h1>' } };
    pm.setDesired([bundle(p, { configMaps: [cm] })], true);
    pm.start();
    const uid = p.metadata.uid!;
    const last = (): PodStatusReport | undefined => reports.filter((r) => r.uid === uid).at(-1);
    await waitFor('Ready', () => last()?.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 60_000);
    const st = last()!.status;
    expect(st.phase).toBe('Running');
    expect(st.containerStatuses![0]!.containerID).toMatch(/^docker:\/\//);
    const hostPort = st.portMappings![0]!.hostPort;
    expect(await get(`http://127.0.0.1:${hostPort}/hello`)).toBe('hi from httpd\n');
    expect(await get(`http://127.0.0.1:${hostPort}/index.html`)).toBe('<h1>bramble</h1>');

    pm.upsert(bundle({ ...p, metadata: { ...p.metadata, resourceVersion: '2', deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 2 } }, { configMaps: [cm] }));
    await waitFor('terminated', () => last()?.terminated === true, 30_000);
    expect(await runtime.listContainers(node)).toHaveLength(0);
  });
});
