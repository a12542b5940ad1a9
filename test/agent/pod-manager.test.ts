import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import type { ContainerInfo, ContainerRuntime } from '../../src/agent/runtime/runtime.js';
import type { PodStatusReport } from '../../src/protocol/messages.js';
import { bundle, container, harness, nodeName, pod, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(...args: Parameters<typeof harness>): Promise<Harness> {
  h = await harness(...args);
  return h;
}

describe('pod manager: starting pods', () => {
  it('starts a sandbox with its ports, then the app containers, and reports Running', async () => {
    const h = await setup();
    const p = pod('web', { containers: [container('app', { ports: [{ containerPort: 80, hostPort: 8080 }, { name: 'metrics', containerPort: 9090 }] }), container('side')] });
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const all = (await h.runtime.listContainers(nodeName)).filter((c) => c.pod.uid === p.metadata.uid);
    expect(all.filter((c) => c.isSandbox)).toHaveLength(1);
    expect(all.filter((c) => !c.isSandbox).map((c) => [c.name, c.state])).toEqual([['app', 'running'], ['side', 'running']]);
    const r = h.latestReport(p.metadata.uid!)!;
    expect(r.status.phase).toBe('Running');
    expect(r.status.podIP).toMatch(/^10\.88\./);
    expect(r.status.hostIP).toBe('192.168.1.10');
    expect(r.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(r.status.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount, Object.keys(c.state ?? {})[0]])).toEqual([['app', true, 0, 'running'], ['side', true, 0, 'running']]);
    expect(r.status.containerStatuses?.[0]?.containerID).toMatch(/^fake:\/\//);
    const maps = r.status.portMappings!;
    expect(maps.find((m) => m.containerPort === 80)).toMatchObject({ hostIP: '192.168.1.10', hostPort: 8080, containerName: 'app', protocol: 'TCP' });
    expect(maps.find((m) => m.containerPort === 9090)?.hostPort).toBeGreaterThan(0);
  });

  it('runs init containers first, one at a time, to completion', async () => {
    const h = await setup();
    const p = pod('init', { initContainers: [container('one'), container('two')], containers: [container('app')] });
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const uid = p.metadata.uid!;
    expect((await h.containers(uid)).map((c) => c.name)).toEqual(['one']);
    expect(h.latestReport(uid)!.status.phase).toBe('Pending');
    h.runtime.crash((await h.containers(uid, 'one'))[0]!.id, 0);
    await h.tick(2000);
    expect((await h.containers(uid)).map((c) => c.name).sort()).toEqual(['one', 'two']);
    h.runtime.crash((await h.containers(uid, 'two'))[0]!.id, 0);
    await h.tick(2000);
    expect((await h.containers(uid, 'app'))[0]?.state).toBe('running');
    const r = h.latestReport(uid)!;
    expect(r.status.phase).toBe('Running');
    expect(r.status.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(r.status.initContainerStatuses?.map((c) => c.state?.terminated?.reason)).toEqual(['Completed', 'Completed']);
  });

  it('resolves env: values, ConfigMap/Secret keys, envFrom, fieldRefs and $(VAR) expansion; limits become runtime limits', async () => {
    const h = await setup();
    const p = pod('env', {
      containers: [container('app', {
        command: ['/bin/run', '$(GREETING)'],
        args: ['--mode=$(MODE)', '$$(MODE)'],
        envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'S_', secretRef: { name: 'creds' } }],
        env: [
          { name: 'MODE', value: 'fast' },
          { name: 'GREETING', value: 'hello $(MODE) $(UNDEFINED)' },
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope', optional: true } } },
        ],
        resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } },
      })],
    });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { level: 'debug', COLOR: 'blue' } };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'default' }, data: { password: Buffer.from('s3cret').toString('base64') } };
    h.pm.setDesired([bundle(p, { configMaps: [cm], secrets: [secret] })], true);
    await h.tick();
    const app = (await h.containers(p.metadata.uid!, 'app'))[0]!;
    const cfg = h.runtime.configOf(app.id)!;
    const podIP = h.latestReport(p.metadata.uid!)!.status.podIP;
    expect(cfg.env).toEqual({
      COLOR: 'blue', level: 'debug', S_password: 's3cret',
      MODE: 'fast', GREETING: 'hello fast $(UNDEFINED)', LEVEL: 'debug', PASSWORD: 's3cret',
      POD_NAME: 'env', POD_NS: 'default', POD_UID: p.metadata.uid, NODE: nodeName, POD_IP: podIP, HOST_IP: '192.168.1.10',
    });
    expect(cfg.command).toEqual(['/bin/run', 'hello fast $(UNDEFINED)']);
    expect(cfg.args).toEqual(['--mode=fast', '$(MODE)']);
    expect(cfg).toMatchObject({ cpuMillis: 500, memoryBytes: 64 * 2 ** 20, cpuRequestMillis: 100, restartCount: 0 });
  });

  it('a missing ConfigMap key that is not optional keeps the container waiting with CreateContainerConfigError', async () => {
    const h = await setup();
    const p = pod('bad', { containers: [container('app', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] })] });
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const cs = h.latestReport(p.metadata.uid!)!.status.containerStatuses![0]!;
    expect(cs.state?.waiting).toMatchObject({ reason: 'CreateContainerConfigError', message: 'configmap "nope" not found' });
    expect(h.latestReport(p.metadata.uid!)!.status.phase).toBe('Pending');
  });

  it('writes volumes: emptyDir, configMap (items, defaultMode) and secret (decoded) files, and mounts them', async () => {
    const h = await setup();
    const p = pod('vols', {
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'conf', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'etc/app.conf', mode: 0o600 }] } },
        { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
      ],
      containers: [container('app', { volumeMounts: [{ name: 'scratch', mountPath: '/tmp/s' }, { name: 'conf', mountPath: '/etc/app' }, { name: 'creds', mountPath: '/run/creds' }] })],
    });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'app.conf': 'port=80\n', other: 'x' } };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { token: Buffer.from('abc').toString('base64') } };
    h.pm.setDesired([bundle(p, { configMaps: [cm], secrets: [secret] })], true);
    await h.tick();
    const uid = p.metadata.uid!;
    const base = path.join(h.dataDir, 'pods', uid, 'volumes');
    expect((await stat(path.join(base, 'empty-dir', 'scratch'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(base, 'configmap', 'conf', 'etc', 'app.conf'), 'utf8')).toBe('port=80\n');
    expect((await stat(path.join(base, 'configmap', 'conf', 'etc', 'app.conf'))).mode & 0o777).toBe(0o600);
    await expect(stat(path.join(base, 'configmap', 'conf', 'other'))).rejects.toThrow();
    expect(await readFile(path.join(base, 'secret', 'creds', 'token'), 'utf8')).toBe('abc');
    expect((await stat(path.join(base, 'secret', 'creds', 'token'))).mode & 0o777).toBe(0o400);
    const cfg = h.runtime.configOf((await h.containers(uid, 'app'))[0]!.id)!;
    expect(cfg.mounts).toEqual([
      { hostPath: path.join(base, 'empty-dir', 'scratch'), containerPath: '/tmp/s', readOnly: false },
      { hostPath: path.join(base, 'configmap', 'conf'), containerPath: '/etc/app', readOnly: true },
      { hostPath: path.join(base, 'secret', 'creds'), containerPath: '/run/creds', readOnly: true },
    ]);
  });
});

describe('pod manager: restarts', () => {
  it('restarts a crashing container with back-off 0, 10, 20, 40 ... 300 s and shows CrashLoopBackOff', async () => {
    const h = await setup();
    const p = pod('crash');
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const starts: number[] = [h.clock.now()];
    const crashAt: number[] = [];
    for (let i = 0; i < 8; i++) {
      const running = (await h.containers(uid, 'app')).find((c) => c.state === 'running')!;
      h.runtime.crash(running.id, 1);
      crashAt.push(h.clock.now());
      h.pm.requestPass();
      await h.tick();
      // Step a second at a time until the new instance runs.
      for (let s = 0; s < 400 && !(await h.containers(uid, 'app')).some((c) => c.state === 'running'); s++) {
        if (s === 0 && i > 0) {
          const w = h.latestReport(uid)!.status.containerStatuses![0]!;
          expect(w.state?.waiting?.reason).toBe('CrashLoopBackOff');
          expect(w.lastState?.terminated?.exitCode).toBe(1);
        }
        await h.tick(1000);
      }
      starts.push(h.clock.now());
    }
    const delays = crashAt.map((t, i) => Math.round((starts[i + 1]! - t) / 1000));
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    const cs = h.latestReport(uid)!.status.containerStatuses![0]!;
    expect(cs.restartCount).toBe(8);
    expect(cs.state?.running).toBeDefined();
    // Only the running instance and one previous (for logs --previous) are kept.
    expect(await h.containers(uid, 'app')).toHaveLength(2);
  });

  it('resets the back-off after the container ran for 10 minutes', async () => {
    const h = await setup();
    const p = pod('reset');
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const crash = async (): Promise<void> => {
      h.runtime.crash((await h.containers(uid, 'app')).find((c) => c.state === 'running')!.id, 2);
      h.pm.requestPass();
      await h.tick();
    };
    await crash(); // immediate restart
    await crash(); // 10 s back-off
    expect(h.latestReport(uid)!.status.containerStatuses![0]!.state?.waiting?.reason).toBe('CrashLoopBackOff');
    await h.tick(10_000);
    await h.tick(600_000); // runs 10 minutes
    await crash();
    expect((await h.containers(uid, 'app')).some((c) => c.state === 'running')).toBe(true);
  });

  it('OnFailure restarts failures only; a clean exit makes the pod Succeeded', async () => {
    const h = await setup();
    const p = pod('job', { restartPolicy: 'OnFailure' });
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    h.runtime.crash((await h.containers(uid, 'app'))[0]!.id, 3);
    h.pm.requestPass();
    await h.tick();
    expect((await h.containers(uid, 'app')).filter((c) => c.state === 'running')).toHaveLength(1);
    h.runtime.crash((await h.containers(uid, 'app')).find((c) => c.state === 'running')!.id, 0);
    h.pm.requestPass();
    await h.tick(60_000);
    expect((await h.containers(uid, 'app')).some((c) => c.state === 'running')).toBe(false);
    const r = h.latestReport(uid)!;
    expect(r.status.phase).toBe('Succeeded');
    expect(r.status.containerStatuses![0]!.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(r.status.containerStatuses![0]!.restartCount).toBe(1);
  });

  it('Never does not restart; a failed container makes the pod Failed', async () => {
    const h = await setup();
    const p = pod('once', { restartPolicy: 'Never' });
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    h.runtime.crash((await h.containers(uid, 'app'))[0]!.id, 7);
    h.pm.requestPass();
    await h.tick(60_000);
    expect(await h.containers(uid, 'app')).toHaveLength(1);
    const r = h.latestReport(uid)!;
    expect(r.status.phase).toBe('Failed');
    expect(r.status.containerStatuses![0]!.state?.terminated?.exitCode).toBe(7);
  });
});

describe('pod manager: probes', () => {
  it('a failing liveness probe restarts the container after failureThreshold periods', async () => {
    let healthy = true;
    const h = await setup({ prober: async (probe) => ({ ok: probe.exec?.command?.[0] === 'alive' ? healthy : true, message: 'dead' }) });
    const p = pod('live', { containers: [container('app', { livenessProbe: { exec: { command: ['alive'] }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 } })] });
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    await h.tick(30_000);
    expect(h.latestReport(uid)!.status.containerStatuses![0]!.restartCount).toBe(0);
    healthy = false; // probes ran at 5, 15, 25 s; the next at 35 and 45 s fail
    await h.tick(15_000);
    expect(h.latestReport(uid)!.status.containerStatuses![0]!.restartCount).toBe(0);
    await h.tick(10_000); // the third failure at 55 s
    await h.tick(1000);
    const cs = h.latestReport(uid)!.status.containerStatuses![0]!;
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState?.terminated).toBeDefined();
  });

  it('readiness drives the Ready and ContainersReady conditions', async () => {
    let ready = false;
    const h = await setup({ prober: async () => ({ ok: ready }) });
    const p = pod('ready', { containers: [container('app', { readinessProbe: { httpGet: { port: 80 }, periodSeconds: 5, failureThreshold: 1 } })] });
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick(1000);
    const cond = (t: string): string | undefined => h.latestReport(uid)!.status.conditions?.find((c) => c.type === t)?.status;
    expect(cond('Ready')).toBe('False');
    expect(h.latestReport(uid)!.status.phase).toBe('Running');
    ready = true;
    await h.tick(5000);
    expect(cond('Ready')).toBe('True');
    expect(cond('ContainersReady')).toBe('True');
    ready = false;
    await h.tick(5000);
    expect(cond('Ready')).toBe('False');
    expect(h.latestReport(uid)!.status.containerStatuses![0]!.restartCount).toBe(0);
  });

  it('liveness and readiness wait for the startup probe', async () => {
    const calls: string[] = [];
    let started = false;
    const h = await setup({ prober: async (probe) => {
      const kind = probe.exec?.command?.[0] ?? '';
      calls.push(kind);
      return { ok: kind === 'startup' ? started : true };
    } });
    const p = pod('slow', { containers: [container('app', {
      startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 30 },
      livenessProbe: { exec: { command: ['liveness'] }, periodSeconds: 1 },
      readinessProbe: { exec: { command: ['readiness'] }, periodSeconds: 1 },
    })] });
    h.pm.setDesired([bundle(p)], true);
    await h.tick(5000);
    expect(new Set(calls)).toEqual(new Set(['startup']));
    started = true;
    await h.tick(3000);
    expect(calls).toContain('liveness');
    expect(calls).toContain('readiness');
    expect(h.latestReport(p.metadata.uid!)!.status.containerStatuses![0]!.started).toBe(true);
  });
});

describe('pod manager: termination and ownership', () => {
  it('a pod with deletionTimestamp stops with its grace period, is removed with its files, then reported terminated', async () => {
    const stops: [string, number][] = [];
    const runtime = new FakeRuntime();
    const stop = runtime.stopContainer.bind(runtime);
    runtime.stopContainer = async (id, grace) => { stops.push([id, grace]); return stop(id, grace); };
    const h = await setup({}, runtime);
    const p = pod('bye', { volumes: [{ name: 'v', emptyDir: {} }] });
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const app = (await h.containers(uid, 'app'))[0]!;
    const deleting = { ...p, metadata: { ...p.metadata, resourceVersion: '2', deletionTimestamp: '2026-01-01T00:00:10Z', deletionGracePeriodSeconds: 7 } };
    h.pm.upsert(bundle(deleting));
    await h.tick();
    expect(stops).toContainEqual([app.id, 7]);
    expect((await h.runtime.listContainers(nodeName)).filter((c) => c.pod.uid === uid)).toHaveLength(0);
    await expect(stat(path.join(h.dataDir, 'pods', uid))).rejects.toThrow();
    const r = h.latestReport(uid)!;
    expect(r.terminated).toBe(true);
    expect(r.status.containerStatuses![0]!.state?.terminated).toBeDefined();
    expect(h.reports.filter((x) => x.terminated)).toHaveLength(1);
  });

  it('a delete removes the pod at once; a sync without a pod removes it too', async () => {
    const h = await setup();
    const a = pod('a'), b = pod('b');
    h.pm.setDesired([bundle(a), bundle(b)], true);
    await h.tick();
    h.pm.remove(a.metadata.uid!);
    await h.tick();
    expect(await h.containers(a.metadata.uid!)).toHaveLength(0);
    h.pm.setDesired([], true);
    await h.tick();
    expect(await h.runtime.listContainers(nodeName)).toHaveLength(0);
  });

  it('never touches containers it did not create', async () => {
    const runtime = new FakeRuntime();
    const foreign: ContainerInfo = {
      id: 'foreign1', pod: { node: nodeName, namespace: 'default', name: 'x', uid: 'zzz' }, name: 'x', isSandbox: false, image: 'nginx',
      state: 'running', restartCount: 0, labels: { 'some.other': 'label' },
    };
    const touched: string[] = [];
    const wrapped: ContainerRuntime = Object.assign(Object.create(runtime) as FakeRuntime, {
      listContainers: async (n: string) => [...await runtime.listContainers(n), foreign],
      stopContainer: async (id: string, g: number) => { touched.push(id); return runtime.stopContainer(id, g); },
      removeContainer: async (id: string) => { touched.push(id); return runtime.removeContainer(id); },
    });
    const h = await setup({ runtime: wrapped }, runtime);
    h.pm.setDesired([bundle(pod('mine'))], true);
    await h.tick(10_000);
    h.pm.setDesired([], true);
    await h.tick(10_000);
    expect(touched.length).toBeGreaterThan(0);
    expect(touched).not.toContain('foreign1');
  });

  it('before any sync or saved state, unknown pods are left running', async () => {
    const h = await setup();
    const p = pod('keep');
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    // A second manager (an agent restarted without its state file) must not remove them.
    const { PodManager } = await import('../../src/agent/pods/manager.js');
    const other = new PodManager({ ...(h.pm as unknown as { o: ConstructorParameters<typeof PodManager>[0] }).o, onStatus: () => undefined });
    other.start();
    await other.settle();
    await other.stop();
    expect((await h.containers(p.metadata.uid!))[0]?.state).toBe('running');
  });
});

describe('pod manager: resync', () => {
  it('a sync that matches what runs restarts nothing, also from a new manager with fresh objects', async () => {
    const h = await setup();
    const p = pod('steady', { initContainers: [container('init')], containers: [container('a', { ports: [{ containerPort: 80 }] }), container('b')] });
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    h.runtime.crash((await h.containers(uid, 'init'))[0]!.id, 0);
    h.pm.requestPass();
    await h.tick(2000);
    const before = (await h.runtime.listContainers(nodeName)).map((c) => `${c.id}:${c.state}`).sort();
    // Same pod, new objects, keys in another order, a newer resourceVersion.
    const copy = JSON.parse(JSON.stringify({ ...p, metadata: { ...p.metadata, resourceVersion: '9' } })) as typeof p;
    copy.spec = { containers: copy.spec.containers, initContainers: copy.spec.initContainers, restartPolicy: 'Always', nodeName };
    h.pm.setDesired([bundle(copy)], true);
    await h.tick(10_000);
    const { PodManager } = await import('../../src/agent/pods/manager.js');
    const fresh = new PodManager({ ...(h.pm as unknown as { o: ConstructorParameters<typeof PodManager>[0] }).o, onStatus: () => undefined });
    await h.pm.stop();
    fresh.setDesired([bundle(JSON.parse(JSON.stringify(copy)))], true);
    fresh.start();
    await fresh.settle();
    await fresh.stop();
    const after = (await h.runtime.listContainers(nodeName)).map((c) => `${c.id}:${c.state}`).sort();
    expect(after).toEqual(before);
  });

  it('a changed container spec recreates the pod', async () => {
    const h = await setup();
    const p = pod('change');
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    const old = (await h.containers(uid, 'app'))[0]!;
    h.pm.upsert(bundle({ ...p, metadata: { ...p.metadata, resourceVersion: '5' }, spec: { ...p.spec, containers: [container('app', { image: 'busybox:1.37' })] } }));
    await h.tick(2000);
    await h.tick(2000);
    const now = await h.containers(uid, 'app');
    expect(now.map((c) => c.id)).not.toContain(old.id);
    expect(now.find((c) => c.state === 'running')?.image).toBe('busybox:1.37');
  });

  it('a new bundle with changed ConfigMap data (same pod) refreshes the volume and keeps the sandbox', async () => {
    const h = await setup();
    const p = pod('cm', { volumes: [{ name: 'conf', configMap: { name: 'settings' } }], containers: [container('app', { volumeMounts: [{ name: 'conf', mountPath: '/etc/app' }] })] });
    const uid = p.metadata.uid!;
    const cm = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { level: v } });
    h.pm.setDesired([bundle(p, { configMaps: [cm('1')] })], true);
    await h.tick();
    const file = path.join(h.dataDir, 'pods', uid, 'volumes', 'configmap', 'conf', 'level');
    expect(await readFile(file, 'utf8')).toBe('1');
    const sandbox = (await h.runtime.listContainers(nodeName)).find((c) => c.pod.uid === uid && c.isSandbox)!.id;
    const app = (await h.containers(uid, 'app'))[0]!.id;
    h.pm.upsert(bundle(p, { configMaps: [cm('2')] }));
    await h.tick(2000);
    expect(await readFile(file, 'utf8')).toBe('2');
    expect((await h.runtime.listContainers(nodeName)).find((c) => c.pod.uid === uid && c.isSandbox)!.id).toBe(sandbox);
    expect((await h.containers(uid, 'app'))[0]!.id).toBe(app);
  });

  it('reports a pod again only when its status changed', async () => {
    const h = await setup();
    const p = pod('quiet');
    const uid = p.metadata.uid!;
    h.pm.setDesired([bundle(p)], true);
    await h.tick();
    expect(h.latestReport(uid)!.status.phase).toBe('Running');
    const sent = h.reports.length;
    for (let i = 0; i < 5; i++) await h.tick(2000);
    // A copy of the same bundle: nothing changed.
    h.pm.upsert(structuredClone(bundle(p)));
    await h.tick(2000);
    expect(h.reports.length).toBe(sent);
    h.runtime.crash((await h.containers(uid, 'app'))[0]!.id, 1);
    await h.tick(2000);
    expect(h.reports.length).toBeGreaterThan(sent);
    expect(h.latestReport(uid)!.status.containerStatuses?.[0]).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 1 } } });
  });
});

describe('pod manager: start path', () => {
  /** The fake runtime, with full listings (not one pod's) recorded and optionally held back. */
  function recording(runtime: FakeRuntime, events: string[]): { rt: ContainerRuntime; hold: () => () => void; gateSandboxes: () => () => void } {
    let held: Promise<void> | undefined;
    let gate: Promise<void> | undefined;
    const open = (): [Promise<void>, () => void] => {
      let release!: () => void;
      return [new Promise<void>((r) => { release = r; }), () => release()];
    };
    const rt: ContainerRuntime = Object.assign(Object.create(runtime) as FakeRuntime, {
      listContainers: async (n: string, uid?: string) => {
        const list = await runtime.listContainers(n, uid);
        if (uid === undefined) {
          events.push('list');
          if (held) await held; // answered later than it was made: a stale listing
        }
        return list;
      },
      createSandbox: async (cfg: Parameters<ContainerRuntime['createSandbox']>[0]) => {
        events.push(`sandbox ${cfg.pod.name}`);
        if (gate) await gate;
        return runtime.createSandbox(cfg);
      },
    });
    return {
      rt,
      hold: () => { const [p, release] = open(); held = p; return () => { held = undefined; release(); }; },
      gateSandboxes: () => { const [p, release] = open(); gate = p; return () => { gate = undefined; release(); }; },
    };
  }

  const turn = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

  it('a new pod gets its sandbox and containers in one task and is reported Running by it, after one listing of the node', async () => {
    const runtime = new FakeRuntime();
    const events: string[] = [];
    const { rt } = recording(runtime, events);
    const h = await setup({ runtime: rt, onStatus: (r) => events.push(`${r.name} ${r.status.phase}`) }, runtime);
    events.length = 0;
    const p = pod('fast', { containers: [container('app'), container('side')] });
    h.pm.upsert(bundle(p));
    await h.pm.settle();
    expect(events.slice(0, 4)).toEqual(['list', 'fast Pending', 'sandbox fast', 'fast Running']);
    expect((await h.containers(p.metadata.uid!)).map((c) => c.state)).toEqual(['running', 'running']);
  });

  it('the Running report of the start task already has probe-less containers ready and started; a readiness probe still decides', async () => {
    const reports: PodStatusReport[] = [];
    const h = await setup({ onStatus: (r) => reports.push(r) });
    const p = pod('quick', { containers: [container('app'), container('probed', { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } })] });
    h.pm.upsert(bundle(p));
    await h.pm.settle();
    const running = reports.filter((r) => r.status.phase === 'Running');
    expect(running.length).toBeGreaterThan(0);
    const first = running[0]!.status;
    expect(first.containerStatuses?.map((c) => [c.name, c.started, c.ready])).toEqual([['app', true, true], ['probed', true, false]]);
    expect(first.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    // Without the probed container, that first Running report is the ready one: nothing waits for another pass.
    const lone = pod('lone', { containers: [container('app')] });
    h.pm.upsert(bundle(lone));
    await h.pm.settle();
    const loneRunning = reports.filter((r) => r.name === 'lone' && r.status.phase === 'Running');
    expect(loneRunning.map((r) => r.status.conditions?.find((c) => c.type === 'Ready')?.status)).toEqual(['True']);
  });

  it('a listing made before a pod task ended is not used to plan or report that pod', async () => {
    const runtime = new FakeRuntime();
    const events: string[] = [];
    const { rt, hold, gateSandboxes } = recording(runtime, events);
    const h = await setup({ runtime: rt, onStatus: (r) => events.push(`${r.name} ${r.status.phase}`) }, runtime);
    const a = pod('a');
    const releaseSandbox = gateSandboxes();
    h.pm.upsert(bundle(a));
    await turn(); // pass 1 listed; a's task waits in createSandbox
    const releaseList = hold();
    h.pm.upsert(bundle(pod('b')));
    await turn(); // pass 2 listed (a has nothing yet) and waits for its answer
    releaseSandbox();
    await turn(); // a's task ends: sandbox, container, Running
    releaseList(); // pass 2 goes on with its old listing
    await h.pm.settle();
    const all = (await runtime.listContainers(nodeName)).filter((c) => c.pod.uid === a.metadata.uid);
    expect(all.filter((c) => c.isSandbox)).toHaveLength(1);
    expect(events.filter((e) => e === 'sandbox a')).toHaveLength(1);
    const reportsOfA = events.filter((e) => e.startsWith('a '));
    expect(reportsOfA.at(-1)).toBe('a Running');
    expect(reportsOfA.slice(reportsOfA.indexOf('a Running'))).not.toContain('a Pending');
  });
});
