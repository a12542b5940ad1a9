import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { applyDecision, createdObject, lastAppliedAnnotation, updatedObject } from '../../src/cli/apply-diff.js';

const manifest = (): KObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

/** What the server holds after `apply` created the manifest, with server-set fields and defaults added. */
function live(m: KObject = manifest()): KObject {
  const created = createdObject(m);
  const spec = created.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
  return {
    ...created,
    metadata: { ...created.metadata, uid: 'u1', resourceVersion: '42', generation: 1, creationTimestamp: '2024-01-01T00:00:00Z', annotations: { ...created.metadata.annotations, 'deployment.kubernetes.io/revision': '1' } },
    spec: { ...spec, strategy: { type: 'RollingUpdate' }, template: { spec: { ...spec.template.spec, restartPolicy: 'Always', containers: spec.template.spec.containers.map((c) => ({ ...c, imagePullPolicy: 'IfNotPresent' })) } } },
    status: { replicas: 2, readyReplicas: 1 },
  };
}

describe('apply decision', () => {
  it('is unchanged when the live object holds the manifest plus server-set fields, defaults and status', () => {
    expect(applyDecision(manifest(), live())).toBe('unchanged');
  });

  it('is configured when a value changed', () => {
    const m = manifest();
    (m.spec as { replicas: number }).replicas = 3;
    expect(applyDecision(m, live())).toBe('configured');
  });

  it('is configured when a label is added or removed, or an array element changes', () => {
    expect(applyDecision({ ...manifest(), metadata: { ...manifest().metadata, labels: { app: 'web', tier: 'fe' } } }, live())).toBe('configured');
    expect(applyDecision({ ...manifest(), metadata: { ...manifest().metadata, labels: {} } }, live())).toBe('configured');
    const m = manifest();
    (m.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image = 'busybox:2';
    expect(applyDecision(m, live())).toBe('configured');
  });

  it('is configured when a field was removed from the manifest since the last apply', () => {
    const withPaused = manifest();
    (withPaused.spec as Record<string, unknown>).paused = true;
    expect(applyDecision(manifest(), live(withPaused))).toBe('configured');
  });

  it('is configured when someone else changed a field the manifest sets', () => {
    const l = live();
    (l.spec as { replicas: number }).replicas = 5;
    expect(applyDecision(manifest(), l)).toBe('configured');
  });

  it('ignores status in the manifest', () => {
    expect(applyDecision({ ...manifest(), status: { replicas: 9 } }, live())).toBe('unchanged');
  });

  it('updates conditionally on the live resourceVersion, keeping server fields and dropping removed ones', () => {
    const withPaused = manifest();
    (withPaused.spec as Record<string, unknown>).paused = true;
    const m = manifest();
    (m.spec as { replicas: number }).replicas = 3;
    const u = updatedObject(m, live(withPaused));
    expect(u.metadata.resourceVersion).toBe('42');
    expect(u.metadata.uid).toBe('u1');
    expect(u.spec).toMatchObject({ replicas: 3, strategy: { type: 'RollingUpdate' } });
    expect(u.spec).not.toHaveProperty('paused');
    expect(u.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(JSON.parse(u.metadata.annotations![lastAppliedAnnotation]!)).toEqual(m);
  });

  it('records the manifest (without status or the record) on create', () => {
    const c = createdObject({ ...manifest(), status: { x: 1 } });
    expect(c).not.toHaveProperty('status');
    expect(JSON.parse(c.metadata.annotations![lastAppliedAnnotation]!)).toEqual(manifest());
  });
});
