// Which pod changes the endpoints controller reacts to (endpointsInputChanged): a table.
import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { endpointsInputChanged } from '../../src/controllers/endpoints.js';

const spec = { nodeName: 'pi-1', containers: [{ name: 'app', image: 'busybox', ports: [{ containerPort: 80, hostPort: 30080 }] }] };
const base: KObject = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' }, resourceVersion: '5' },
  spec,
  status: { phase: 'Running', hostIP: '10.0.0.2', conditions: [{ type: 'Ready', status: 'True' }], portMappings: [{ containerPort: 80, hostPort: 30080 }], startTime: 'a' },
} as unknown as KObject;
const withStatus = (s: Record<string, unknown>): KObject => ({ ...base, status: { ...(base.status as object), ...s } }) as KObject;

describe('endpointsInputChanged', () => {
  it.each<[string, KObject, boolean]>([
    ['a new resourceVersion and startTime only', { ...withStatus({ startTime: 'b' }), metadata: { ...base.metadata, resourceVersion: '6' } }, false],
    ['equal labels in a new object', { ...base, metadata: { ...base.metadata, labels: { app: 'web' } } }, false],
    ['an equal spec in a new object', { ...base, spec: structuredClone(spec) } as KObject, false],
    ['equal port mappings in a new array', withStatus({ portMappings: [{ containerPort: 80, hostPort: 30080 }] }), false],
    ['a label', { ...base, metadata: { ...base.metadata, labels: { app: 'web', v: '2' } } }, true],
    ['a label removed', { ...base, metadata: { ...base.metadata, labels: {} } }, true],
    ['deletion started', { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-11-26T00:00:00Z' } }, true],
    ['the spec', { ...base, spec: { ...spec, nodeName: 'pi-2' } } as KObject, true],
    ['the phase', withStatus({ phase: 'Failed' }), true],
    ['the host IP', withStatus({ hostIP: '10.0.0.3' }), true],
    ['readiness', withStatus({ conditions: [{ type: 'Ready', status: 'False' }] }), true],
    ['a port mapping', withStatus({ portMappings: [{ containerPort: 80, hostPort: 30081 }] }), true],
  ])('%s → %s', (_what, next, changed) => {
    expect(endpointsInputChanged(next, base)).toBe(changed);
  });

  it('a pod seen for the first time counts as changed', () => {
    expect(endpointsInputChanged(base, undefined)).toBe(true);
  });
});
