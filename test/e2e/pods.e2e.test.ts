// Pods for real: bramble master + bramble agent (Docker runtime) as processes, a pod with
// two containers sharing localhost, an emptyDir, a configMap volume and env from a Secret.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDocker, testImage } from '../helpers/docker.js';
import { Cluster, nodeContainers, removeNodeContainers, shPod } from './cluster.js';

const node = 'e2e-pi';
let c: Cluster;
const ourContainers = () => nodeContainers(node);
const removeOurContainers = () => removeNodeContainers(node);

const manifest = `
apiVersion: v1
kind: ConfigMap
metadata: { name: web-content }
data:
  index.html: "hello from a configMap volume"
---
apiVersion: v1
kind: Secret
metadata: { name: web-secret }
stringData:
  password: s3cr3t
---
apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 5
  volumes:
    - name: content
      configMap: { name: web-content }
    - name: scratch
      emptyDir: {}
  containers:
    - name: server
      image: ${testImage}
      imagePullPolicy: Never
      command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
      ports: [{ containerPort: 8080 }]
      volumeMounts: [{ name: content, mountPath: /www }]
      readinessProbe:
        httpGet: { path: /index.html, port: 8080 }
        periodSeconds: 1
    - name: client
      image: ${testImage}
      imagePullPolicy: Never
      env:
        - name: PASSWORD
          valueFrom: { secretKeyRef: { name: web-secret, key: password } }
      command: ["sh", "-c", "echo password=$PASSWORD; while true; do wget -qO /scratch/page http://127.0.0.1:8080/index.html && cat /scratch/page && echo; sleep 1; done"]
      volumeMounts: [{ name: scratch, mountPath: /scratch }]
`;

describeDocker('pods on a real node (master + agent processes, Docker)', () => {
  beforeAll(async () => {
    c = await Cluster.withNode(node);
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
    await removeOurContainers();
  });

  it('registers the node Ready with its labels', async () => {
    const n = await c.until('node Ready', async () => {
      const r = await c.api('GET', `/api/v1/nodes/${node}`);
      const ready = r.body.status?.conditions?.find((x: any) => x.type === 'Ready');
      return ready?.status === 'True' ? r.body : undefined;
    });
    expect(n.metadata.labels['kubernetes.io/hostname']).toBeDefined();
    expect(n.metadata.labels['kubernetes.io/arch']).toBeDefined();
    expect(n.status.capacity.cpu).toBeDefined();
  });

  it('runs the pod: Running and Ready, shared localhost, volumes, env from a Secret, logs', async () => {
    const applied = await c.cli(['apply', '-f', '-'], manifest);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('pod/web created');
    const pod = await c.until('pod Running and Ready', async () => {
      const r = await c.api('GET', '/api/v1/namespaces/default/pods/web');
      const ready = r.body.status?.conditions?.find((x: any) => x.type === 'Ready');
      return r.body.status?.phase === 'Running' && ready?.status === 'True' ? r.body : undefined;
    }, 60_000);
    expect(pod.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pod.status.hostIP).toBe('127.0.0.1');
    const mapping = pod.status.portMappings.find((m: any) => m.containerPort === 8080);
    expect(mapping).toMatchObject({ containerName: 'server', protocol: 'TCP', hostIP: '127.0.0.1' });
    // The published port answers from the node.
    const page = await (await fetch(`http://127.0.0.1:${mapping.hostPort}/index.html`)).text();
    expect(page).toBe('hello from a configMap volume');

    const logs = await c.until('client logs', async () => {
      const r = await c.cli(['logs', 'web', '-c', 'client']);
      return r.stdout.includes('hello from a configMap volume') ? r.stdout : undefined;
    });
    expect(logs).toContain('password=s3cr3t');
    const ambiguous = await c.cli(['logs', 'web']);
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.stderr).toContain('server');
  }, 90_000);

  it('backs off a crashing container (CrashLoopBackOff) and counts restarts', async () => {
    const crash = shPod('crasher', node, 'echo dying; exit 3', 1);
    expect((await c.cli(['apply', '-f', '-'], crash)).code).toBe(0);
    const status = await c.until('CrashLoopBackOff', async () => {
      const r = await c.api('GET', '/api/v1/namespaces/default/pods/crasher');
      const cs = r.body.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' ? cs : undefined;
    }, 60_000);
    expect(status.restartCount).toBeGreaterThanOrEqual(1);
    expect(status.lastState.terminated.exitCode).toBe(3);
    expect((await c.cli(['delete', 'pod', 'crasher'])).code).toBe(0);
  }, 90_000);

  it('deletes the pod: containers stop within the grace period and are removed', async () => {
    const before = (await ourContainers()).filter((ci) => ci.Labels['dev.bramble.pod.name'] === 'web');
    expect(before.length).toBeGreaterThanOrEqual(3); // sandbox + 2 containers
    expect((await c.cli(['delete', 'pod', 'web'])).code).toBe(0);
    await c.until('pod gone from the API', async () => ((await c.api('GET', '/api/v1/namespaces/default/pods/web')).status === 404 ? true : undefined), 30_000);
    await c.until('containers removed', async () => ((await ourContainers()).some((ci) => ci.Labels['dev.bramble.pod.name'] === 'web') ? undefined : true), 15_000);
  }, 60_000);
});
