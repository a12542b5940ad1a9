import { describe, expect, it } from 'vitest';
import type { Pod } from '../../src/api/schemas.js';
import { containerHash, sandboxHashLabels, sandboxMatches } from '../../src/agent/pods/hash.js';

function fixture(): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', resourceVersion: '3' },
    spec: {
      nodeName: 'pi-1', restartPolicy: 'Always', hostname: 'web-0', subdomain: 'web',
      volumes: [{ name: 'cfg', configMap: { name: 'settings' } }, { name: 'tmp', emptyDir: {} }],
      initContainers: [{ name: 'setup', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }],
      containers: [
        { name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, hostPort: 8080 }], env: [{ name: 'A', value: '1' }], volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }], resources: { limits: { memory: '64Mi', cpu: '500m' } } },
        { name: 'side', image: 'busybox:1.36', args: ['sleep', '3600'], livenessProbe: { exec: { command: ['true'] }, periodSeconds: 5 } },
      ],
    },
  } as Pod;
}

// The labels running sandboxes carry: a change here recreates every pod on an agent upgrade.
const golden = {
  'dev.bramble.hash.init.setup': 'ef9f7ebf058e543a',
  'dev.bramble.hash.app': '46321c9d689bf067',
  'dev.bramble.hash.side': '5efcd3b0fd3d1cf1',
};

describe('spec hashes', () => {
  it('are the labels sandboxes already carry', () => {
    const p = fixture();
    expect(sandboxHashLabels(p)).toEqual(golden);
    expect(containerHash(p.spec.containers[0]!, p)).toBe(golden['dev.bramble.hash.app']);
  });

  it('memoized per spec object: the same as computed afresh, every time', () => {
    const p = fixture();
    const first = sandboxHashLabels(p);
    expect(sandboxHashLabels(p)).toEqual(first);
    expect(sandboxHashLabels(structuredClone(p))).toEqual(first);
    expect(sandboxMatches(first, p)).toBe(true);
    // A caller changing the labels it got does not change what the cache holds.
    first['dev.bramble.hash.app'] = 'x';
    expect(sandboxHashLabels(p)).toEqual(golden);
    expect(sandboxMatches(first, p)).toBe(false);
  });

  it('a changed pod (a new spec object) gets its own hashes', () => {
    const p = fixture();
    const old = sandboxHashLabels(p);
    const image = { ...p, spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, image: 'nginx:1.28' }, p.spec.containers[1]!] } };
    const hostname = { ...p, spec: { ...p.spec, hostname: 'web-1' } };
    const volumes = { ...p, spec: { ...p.spec, volumes: [{ name: 'tmp', emptyDir: {} }] } };
    expect(sandboxMatches(old, p)).toBe(true);
    for (const changed of [image, hostname, volumes]) {
      expect(sandboxMatches(old, changed)).toBe(false);
      expect(sandboxHashLabels(changed)).toEqual(sandboxHashLabels(structuredClone(changed)));
    }
    expect(sandboxHashLabels(image)['dev.bramble.hash.app']).not.toBe(old['dev.bramble.hash.app']);
    expect(sandboxHashLabels(image)['dev.bramble.hash.side']).toBe(old['dev.bramble.hash.side']);
    expect(sandboxHashLabels(hostname)['dev.bramble.hash.side']).not.toBe(old['dev.bramble.hash.side']);
    // The old spec object keeps its own.
    expect(sandboxHashLabels(p)).toEqual(golden);
  });

  it('a sandbox missing a label or with extra labels: every hash of the spec must be there', () => {
    const p = fixture();
    const { ['dev.bramble.hash.side']: _, ...missing } = golden;
    expect(sandboxMatches(missing, p)).toBe(false);
    expect(sandboxMatches({ ...golden, other: 'x', 'dev.bramble.hash.gone': 'y' }, p)).toBe(true);
  });
});
