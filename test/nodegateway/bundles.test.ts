// When the gateway re-sends a pod's bundle to its node (bundleMark/sameBundle): only for what
// the node acts on, never for the node's own status writes.
import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { buildBundle, bundleMark, sameBundle } from '../../src/nodegateway/bundles.js';

const spec = { nodeName: 'pi-1', containers: [{ name: 'app', image: 'busybox', envFrom: [{ configMapRef: { name: 'cfg' } }] }] };
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1', labels: { app: 'a' }, resourceVersion: '5' }, spec, status: { phase: 'Pending' } } as unknown as KObject;
const cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', resourceVersion: '3' }, data: { A: '1' } } as unknown as KObject;
const mark = (p: KObject, c: KObject = cfg) => bundleMark(buildBundle(p, { configMaps: new Map([['default/cfg', c]]), secrets: new Map() }).bundle);

describe('bundle marks', () => {
  const before = mark(pod);

  it.each<[string, KObject, KObject | undefined, boolean]>([
    ['a status write (new resourceVersion, same spec object)', { ...pod, metadata: { ...pod.metadata, resourceVersion: '6' }, status: { phase: 'Running' } } as KObject, undefined, true],
    ['an equal spec in a new object', { ...pod, spec: structuredClone(spec) } as KObject, undefined, true],
    ['the ConfigMap written again unchanged', pod, { ...cfg, metadata: { ...cfg.metadata, resourceVersion: '9' } } as KObject, true],
    ['a label', { ...pod, metadata: { ...pod.metadata, labels: { app: 'b' } } } as KObject, undefined, false],
    ['deletion started', { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-11-26T00:00:00Z' } } as KObject, undefined, false],
    ['the spec', { ...pod, spec: { ...spec, containers: [{ ...spec.containers[0], image: 'nginx' }] } } as KObject, undefined, false],
    ['the ConfigMap data', pod, { ...cfg, data: { A: '2' } } as KObject, false],
  ])('%s: same = %s', (_what, p, c, same) => {
    expect(sameBundle(before, mark(p, c ?? cfg))).toBe(same);
  });

  it('nothing sent yet is never the same', () => {
    expect(sameBundle(undefined, before)).toBe(false);
  });
});
