// The built CLI against a real master (started as `bramble master` in a child process): what a user sees.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bramble, ensureBuilt, Running } from './helpers.js';

let dir: string;
let master: Running;
let env: NodeJS.ProcessEnv;
let apiUrl: string;
let kubeconfig: string;

const manifests = `apiVersion: v1
kind: Namespace
metadata:
  name: e2e
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: e2e
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
  labels: {app: web}
spec:
  # Paused: the Deployment controller makes no ReplicaSet or pods, so the tables below stay exact.
  paused: true
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: solo
  namespace: e2e
  labels: {app: solo, tier: fe}
spec:
  containers:
  - name: c
    image: busybox
`;

const pod = (name: string, image = 'busybox') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: e2e\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const run = (args: string[], input?: string) => bramble(args, env, input);

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'bramble-cli-'));
  // HOME too, so nothing reads or writes the real ~/.bramble.
  env = { HOME: dir, BRAMBLE_KUBECONFIG: '', BRAMBLE_LOG_LEVEL: 'warn' };
  master = new Running(['master', '--data-dir', path.join(dir, 'data'), '--api-port', '0', '--mqtt-port', '0', '--proxy-mode', 'off'], env);
  apiUrl = (await master.waitFor(/^API server: (\S+)$/m))[1]!;
  kubeconfig = (await master.waitFor(/^Kubeconfig: (.+)$/m))[1]!;
  await master.waitFor(/^Ready\. Press Ctrl-C to stop\.$/m);
  env.BRAMBLE_KUBECONFIG = kubeconfig;
}, 60_000);

afterAll(async () => {
  await master?.stop('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bramble master', () => {
  it('prints the API URL, the kubeconfig path and the data dir, and writes a private kubeconfig', () => {
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(kubeconfig).toBe(path.join(dir, 'data', 'kubeconfig.yaml'));
    expect(master.stdout).toContain(`Data dir: ${path.join(dir, 'data')}\n`);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
  });
});

describe('bramble CLI against a real master', () => {
  it('applies a multi-document manifest, then reports unchanged, then configured', async () => {
    const f = file('app.yaml', manifests);
    const first = await run(['apply', '-f', f]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('namespace/e2e created\nconfigmap/web-config created\ndeployment.apps/web created\npod/solo created\n');
    const again = await run(['apply', '-f', f]);
    expect(again.stdout).toBe('namespace/e2e unchanged\nconfigmap/web-config unchanged\ndeployment.apps/web unchanged\npod/solo unchanged\n');
    file('app.yaml', manifests.replace('replicas: 2', 'replicas: 3').replace('greeting: hello', 'greeting: hi'));
    const changed = await run(['apply', '-f', f]);
    expect(changed.stdout).toBe('namespace/e2e unchanged\nconfigmap/web-config configured\ndeployment.apps/web configured\npod/solo unchanged\n');
    const dep = parse((await run(['get', 'deploy', 'web', '-n', 'e2e', '-o', 'yaml'])).stdout);
    expect(dep.spec.replicas).toBe(3);
  });

  it('applies a directory in name order, and stdin', async () => {
    file('dir/b.yaml', pod('from-dir-b'));
    file('dir/a.yml', pod('from-dir-a'));
    file('dir/notes.txt', 'not a manifest');
    const r = await run(['apply', '-f', path.join(dir, 'dir')]);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/from-dir-a created\npod/from-dir-b created\n' });
    const s = await run(['apply', '-f', '-'], pod('from-stdin'));
    expect(s).toMatchObject({ code: 0, stdout: 'pod/from-stdin created\n' });
  });

  it('gets a table, wide, with labels, across namespaces, by selector', async () => {
    const t = await run(['get', 'pods', '-n', 'e2e']);
    expect(t.code).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['from-dir-a', 'from-dir-b', 'from-stdin', 'solo']);
    expect(lines[4]).toMatch(/^solo\s+0\/1\s+Pending\s+0\s+\d+s$/);
    const wide = await run(['get', 'po', 'solo', '-n', 'e2e', '-o', 'wide', '--show-labels']);
    expect(wide.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+LABELS\nsolo\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+app=solo,tier=fe\n$/);
    const all = await run(['get', 'deploy', '-A']);
    expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ne2e\s+web\s+0\/3\s+0\s+0\s+\S+\n$/);
    const sel = await run(['get', 'po', '-n', 'e2e', '-l', 'tier=fe', '-o', 'name']);
    expect(sel.stdout).toBe('pod/solo\n');
    const field = await run(['get', 'po', '-n', 'e2e', '--field-selector', 'metadata.name=from-stdin', '-o', 'name']);
    expect(field.stdout).toBe('pod/from-stdin\n');
    const none = await run(['get', 'svc', '-n', 'e2e']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in e2e namespace.\n' });
  });

  it('gets YAML and JSON: one object as itself, several as a List', async () => {
    const one = parse((await run(['get', 'cm', 'web-config', '-n', 'e2e', '-o', 'yaml'])).stdout);
    expect(one).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'e2e' }, data: { greeting: 'hi' } });
    expect(one.metadata.uid).toBeTruthy();
    const list = JSON.parse((await run(['get', 'pods', '-n', 'e2e', '-l', 'app=solo', '-o', 'json'])).stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'solo' } }] });
    const two = parse((await run(['get', 'pod/solo', 'pod/from-stdin', '-n', 'e2e', '-o', 'yaml'])).stdout);
    expect(two.kind).toBe('List');
    expect(two.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['solo', 'from-stdin']);
  });

  it('watches: prints the current objects, then one line per change, until Ctrl-C', async () => {
    const w = new Running(['get', 'pods', '-n', 'e2e', '-w', '-o', 'name'], env);
    await w.waitFor(/^pod\/solo$/m);
    expect((await run(['apply', '-f', '-'], pod('watched'))).code).toBe(0);
    await w.waitFor(/^pod\/watched$/m);
    expect(await w.stop('SIGINT')).toBe(0);
    const t = new Running(['get', 'pods', 'solo', '-n', 'e2e', '-w'], env);
    await t.waitFor(/^solo\s+0\/1\s+Pending/m);
    await run(['apply', '-f', '-'], pod('solo').replace('metadata:\n', 'metadata:\n  labels: {app: solo, tier: be}\n'));
    // The update is seen as a second row for the same pod; other pods are not shown.
    await t.waitFor(/^solo\s.*\nsolo\s/m);
    expect(await t.stop('SIGINT')).toBe(0);
    expect(t.stdout).not.toContain('watched');
  });

  it('describes an object with its labels, containers and events section', async () => {
    const d = await run(['describe', 'pod', 'solo', '-n', 'e2e']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^Name:\s+solo$/m);
    expect(d.stdout).toMatch(/^Namespace:\s+e2e$/m);
    expect(d.stdout).toMatch(/^Labels:\s+app=solo$/m);
    expect(d.stdout).toMatch(/^\s+tier=be$/m);
    expect(d.stdout).toMatch(/^Containers:\n {2}c:\n {4}Image:\s+busybox$/m);
    expect(d.stdout).toMatch(/^Events:/m);
    const dep = await run(['describe', 'deploy', 'web', '-n', 'e2e']);
    expect(dep.stdout).toMatch(/^Replicas:\s+3 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
  });

  it('deletes by name and by manifest, and then reports NotFound', async () => {
    const d = await run(['delete', 'pod', 'from-dir-a', 'from-dir-b', '-n', 'e2e', '--grace-period', '0', '--wait']);
    expect(d).toMatchObject({ code: 0, stdout: 'pod "from-dir-a" deleted\npod "from-dir-b" deleted\n' });
    const gone = await run(['get', 'pod', 'from-dir-a', '-n', 'e2e']);
    expect(gone).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "from-dir-a" not found\n' });
    const byFile = await run(['delete', '-f', file('solo.yaml', pod('solo')), '--cascade=foreground']);
    expect(byFile).toMatchObject({ code: 0, stdout: 'pod "solo" deleted\n' });
    const deploy = await run(['delete', 'deployments.apps/web', '-n', 'e2e']);
    expect(deploy.stdout).toBe('deployment.apps "web" deleted\n');
    const again = await run(['delete', 'deploy', 'web', '-n', 'e2e']);
    expect(again).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): deployments.apps "web" not found\n' });
  });

  it('prints the client and server versions', async () => {
    const v = await run(['version']);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\nServer Version: v\S+\n$/);
  });
});

describe('bramble CLI errors: one line, non-zero exit, no stack trace', () => {
  const oneLine = (stderr: string) => { expect(stderr.trimEnd().split('\n')).toHaveLength(1); expect(stderr).not.toMatch(/\n\s+at /); };

  it('unknown kind', async () => {
    const r = await run(['get', 'widgets']);
    expect(r).toMatchObject({ code: 1, stderr: 'error: the server doesn\'t have a resource type "widgets"\n' });
  });

  it('bad YAML, with file:line:col', async () => {
    const f = file('bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: [\n');
    const r = await run(['apply', '-f', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:\\d+: `));
    oneLine(r.stderr);
  });

  it('missing file', async () => {
    const r = await run(['apply', '-f', path.join(dir, 'nope.yaml')]);
    expect(r).toMatchObject({ code: 1, stderr: `error: the path "${path.join(dir, 'nope.yaml')}" does not exist\n` });
  });

  it('invalid object, naming the field', async () => {
    const r = await run(['apply', '-f', file('invalid.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: noimage\n  namespace: e2e\nspec:\n  containers:\n  - name: c\n')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(Invalid\): error when applying ".*invalid\.yaml": .*spec\.containers\[0\]\.image/);
    oneLine(r.stderr);
  });

  it('unreachable server', async () => {
    const port = await closedPort();
    const kc = file('dead-kubeconfig.yaml', `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
    const r = await run(['--kubeconfig', kc, 'get', 'pods']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `error: cannot reach the Bramble API server at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): is the master running?\n` });
  });

  it('missing kubeconfig, bad flag, bad output format', async () => {
    const r = await run(['get', 'pods'].concat(['--kubeconfig', path.join(dir, 'none.yaml')]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: kubeconfig .*none\.yaml not found/);
    oneLine(r.stderr);
    const flag = await run(['get', 'pods', '--bogus']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^error: unknown option '--bogus'/);
    const out = await run(['get', 'pods', '-o', 'xml']);
    expect(out).toMatchObject({ code: 1, stderr: 'error: unable to match a printer suitable for the output format "xml", allowed formats are: json,name,wide,yaml\n' });
  });
});

describe('bramble master shutdown', () => {
  it('stops on SIGTERM with exit code 0', async () => {
    expect(await master.stop('SIGTERM')).toBe(0);
  });
});
