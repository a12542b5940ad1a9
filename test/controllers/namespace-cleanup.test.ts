import { describe, expect, it } from 'vitest';
import { resourceByKind, type ResourceType } from '../../src/api/registry.js';
import type { KObject } from '../../src/api/types.js';
import { namespacedTypes, planCleanup } from '../../src/controllers/namespace-cleanup.js';

const rt = (kind: string, apiVersion = 'v1'): ResourceType => resourceByKind(apiVersion, kind) as ResourceType;
const obj = (name: string, leaving = false): KObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name, namespace: 'doomed', ...(leaving ? { deletionTimestamp: '2024-05-01T10:00:00Z' } : {}) } });

describe('planCleanup', () => {
  it('deletes owners before what they own, Events last, whatever order the lists came in', () => {
    const plan = planCleanup([
      { rt: rt('Event'), items: [obj('e1')] },
      { rt: rt('ConfigMap'), items: [obj('cm')] },
      { rt: rt('Pod'), items: [obj('web-abc-1'), obj('web-abc-2')] },
      { rt: rt('ReplicaSet', 'apps/v1'), items: [obj('web-abc')] },
      { rt: rt('Deployment', 'apps/v1'), items: [obj('web')] },
      { rt: rt('Service'), items: [obj('web')] },
    ]);
    expect(plan.action).toBe('delete');
    if (plan.action !== 'delete') return;
    expect(plan.objects.map((o) => `${o.rt.kind}/${o.name}`)).toEqual(['Deployment/web', 'ReplicaSet/web-abc', 'Pod/web-abc-1', 'Pod/web-abc-2', 'Service/web', 'ConfigMap/cm', 'Event/e1']);
  });

  it('skips objects already being deleted', () => {
    const plan = planCleanup([{ rt: rt('Pod'), items: [obj('leaving', true), obj('staying')] }]);
    expect(plan).toEqual({ action: 'delete', objects: [{ rt: rt('Pod'), name: 'staying' }] });
  });

  it('waits while only terminating objects remain (pods waiting for their node)', () => {
    expect(planCleanup([{ rt: rt('Pod'), items: [obj('a', true), obj('b', true)] }, { rt: rt('ConfigMap'), items: [] }])).toEqual({ action: 'wait', remaining: 2 });
  });

  it('finalizes an empty namespace', () => {
    expect(planCleanup(namespacedTypes.map((r) => ({ rt: r, items: [] })))).toEqual({ action: 'finalize' });
    expect(planCleanup([])).toEqual({ action: 'finalize' });
  });

  it('namespacedTypes covers every namespaced kind, Events last', () => {
    expect(namespacedTypes.at(-1)?.kind).toBe('Event');
    expect(namespacedTypes.map((r) => r.kind)).toEqual(expect.arrayContaining(['Pod', 'Secret', 'ServiceAccount', 'Deployment', 'DaemonSet']));
    expect(namespacedTypes.every((r) => r.namespaced)).toBe(true);
  });
});
