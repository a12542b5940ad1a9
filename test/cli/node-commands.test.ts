// cordon / uncordon / drain through main() in process, against a real API server.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { drainPlan } from '../../src/cli/commands/node.js';
import { main } from '../../src/cli/main.js';
import { writeKubeconfig } from '../../src/client/kubeconfig.js';
import { startHarness, type Harness } from '../apiserver/harness.js';

let h: Harness;
let dir: string;
let kubeconfig: string;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const code = await main(['node', 'bramble', '--kubeconfig', kubeconfig, ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const pod = (name: string, owner?: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner, name: 'o', uid: 'u', controller: true }] } : {}) },
  spec: { nodeName: 'pi-1', containers: [{ name: 'c', image: 'busybox' }] },
});

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(path.join(os.tmpdir(), 'bramble-node-cli-'));
  kubeconfig = path.join(dir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: h.url, token: h.token });
  await h.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' } });
});
afterAll(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('drainPlan', () => {
  it('deletes controlled pods, leaves DaemonSet pods, refuses unmanaged ones unless forced', () => {
    const leaving = { ...pod('leaving', 'ReplicaSet'), metadata: { ...pod('leaving', 'ReplicaSet').metadata, deletionTimestamp: '2024-05-01T10:00:00Z' } };
    const all = [pod('web', 'ReplicaSet'), pod('agent', 'DaemonSet'), pod('solo'), leaving];
    const names = (ps: KObject[]): (string | undefined)[] => ps.map((p) => p.metadata.name);
    const plan = drainPlan(all, false);
    expect([names(plan.evict), names(plan.daemonSet), names(plan.unmanaged)]).toEqual([['web'], ['agent'], ['solo']]);
    const forced = drainPlan(all, true);
    expect([names(forced.evict), names(forced.unmanaged)]).toEqual([['web', 'solo'], []]);
  });
});

describe('bramble cordon, uncordon, drain', () => {
  it('cordon sets spec.unschedulable once; uncordon clears it', async () => {
    expect(await run(['cordon', 'pi-1'])).toMatchObject({ code: 0, stdout: 'node/pi-1 cordoned\n' });
    expect((await h.call('GET', '/api/v1/nodes/pi-1')).body.spec.unschedulable).toBe(true);
    expect(await run(['cordon', 'pi-1'])).toMatchObject({ code: 0, stdout: 'node/pi-1 already cordoned\n' });
    expect(await run(['uncordon', 'pi-1'])).toMatchObject({ code: 0, stdout: 'node/pi-1 uncordoned\n' });
    expect((await h.call('GET', '/api/v1/nodes/pi-1')).body.spec?.unschedulable).toBeUndefined();
    expect(await run(['cordon', 'nope'])).toMatchObject({ code: 1, stderr: 'error: nodes "nope" not found\n' });
  });

  it('drain deletes the pods but DaemonSet ones; unmanaged pods need --force', async () => {
    for (const p of [pod('web', 'ReplicaSet'), pod('agent', 'DaemonSet'), pod('solo')]) expect((await h.call('POST', '/api/v1/namespaces/default/pods', p)).status).toBe(201);
    const refused = await run(['drain', 'pi-1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot delete Pods that declare no controller (use --force to override): default/solo');
    expect((await h.call('GET', '/api/v1/nodes/pi-1')).body.spec.unschedulable).toBe(true);
    const r = await run(['drain', 'pi-1', '--force']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('node/pi-1 already cordoned\nevicting pod default/solo\npod/solo evicted\nevicting pod default/web\npod/web evicted\nnode/pi-1 drained\n');
    expect(r.stderr).toContain('ignoring DaemonSet-managed Pods: default/agent');
    // Bound pods get their grace period: marked for deletion, removed when their node confirms.
    const left = (await h.call('GET', '/api/v1/namespaces/default/pods')).body.items.map((p: any) => `${p.metadata.name}:${p.metadata.deletionTimestamp ? 'leaving' : 'staying'}`);
    expect(left.sort()).toEqual(['agent:staying', 'solo:leaving', 'web:leaving']);
  });
});
