import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeconfigError, loadKubeconfig, resolveKubeconfigPath, writeKubeconfig } from '../../src/client/kubeconfig.js';

const made: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bramble-kc-'));
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('kubeconfig', () => {
  it('round-trips server, token and namespace through a standard kubeconfig with mode 0600', () => {
    const file = path.join(tmp(), 'sub', 'kubeconfig.yaml');
    writeKubeconfig(file, { server: 'http://127.0.0.1:6443', token: 's3cret', namespace: 'prod' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = parse(readFileSync(file, 'utf8'));
    expect(doc).toMatchObject({ apiVersion: 'v1', kind: 'Config', 'current-context': 'admin@bramble' });
    expect(doc.clusters[0]).toEqual({ name: 'bramble', cluster: { server: 'http://127.0.0.1:6443' } });
    expect(doc.users[0]).toEqual({ name: 'admin', user: { token: 's3cret' } });
    expect(loadKubeconfig(file)).toEqual({ server: 'http://127.0.0.1:6443', token: 's3cret', namespace: 'prod', certificateAuthorityData: undefined, contextName: 'admin@bramble' });
  });

  it('uses the given cluster and user names, and tightens an existing file to 0600', () => {
    const file = path.join(tmp(), 'kc.yaml');
    writeFileSync(file, 'old', { mode: 0o644 });
    writeKubeconfig(file, { server: 'https://gw:6443', token: 't', clusterName: 'farm', userName: 'ops' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const kc = loadKubeconfig(file);
    expect(kc).toMatchObject({ server: 'https://gw:6443', token: 't', namespace: undefined, contextName: 'ops@farm' });
  });

  it('explains a missing, garbled or incomplete file', () => {
    const dir = tmp();
    expect(() => loadKubeconfig(path.join(dir, 'nope.yaml'))).toThrow(/not found: start a master/);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [\n  - {');
    expect(() => loadKubeconfig(bad)).toThrow(KubeconfigError);
    expect(() => loadKubeconfig(bad)).toThrow(/is not valid YAML/);
    writeFileSync(bad, '- a\n- b\n');
    expect(() => loadKubeconfig(bad)).toThrow(/is not a kubeconfig/);
    writeFileSync(bad, 'apiVersion: v1\nkind: Config\n');
    expect(() => loadKubeconfig(bad)).toThrow(/has no current-context/);
    writeFileSync(bad, 'current-context: x\ncontexts: []\n');
    expect(() => loadKubeconfig(bad)).toThrow(/context "x" not found/);
    writeFileSync(bad, 'current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {}}]\n');
    expect(() => loadKubeconfig(bad)).toThrow(/cluster "c" has no server/);
  });

  it('resolves the path: flag, then $BRAMBLE_KUBECONFIG, then ~/.bramble, then ./.bramble', () => {
    const home = '/home/u';
    const cwd = '/work';
    const none = () => false;
    expect(resolveKubeconfigPath({ flag: 'kc.yaml', env: { BRAMBLE_KUBECONFIG: '/env.yaml' }, cwd })).toBe('/work/kc.yaml');
    expect(resolveKubeconfigPath({ env: { BRAMBLE_KUBECONFIG: '/env.yaml' }, home, cwd, exists: none })).toBe('/env.yaml');
    expect(resolveKubeconfigPath({ env: {}, home, cwd, exists: (p) => p === '/work/.bramble/kubeconfig.yaml' })).toBe('/work/.bramble/kubeconfig.yaml');
    expect(resolveKubeconfigPath({ env: {}, home, cwd, exists: () => true })).toBe('/home/u/.bramble/kubeconfig.yaml');
    expect(resolveKubeconfigPath({ env: {}, home, cwd, exists: none })).toBe('/home/u/.bramble/kubeconfig.yaml');
  });
});
