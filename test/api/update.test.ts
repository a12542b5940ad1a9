import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../src/api/defaults.js';
import type { KObject } from '../../src/api/types.js';
import { validateUpdate } from '../../src/api/validation.js';
import { rt, setPath, valid } from './helpers.js';

function stored(kind: string, change?: (o: KObject) => void): KObject {
  const o = valid[kind]!();
  o.metadata = { ...o.metadata, uid: 'u1', creationTimestamp: '2024-05-01T10:00:00Z', resourceVersion: '5' };
  change?.(o);
  return applyDefaults(rt(kind), o);
}

function update(kind: string, path: string, value: unknown, prevChange?: (o: KObject) => void) {
  const prev = stored(kind, prevChange);
  const next = structuredClone(prev);
  setPath(next, path, value);
  return validateUpdate(rt(kind), next, prev);
}

describe('validateUpdate', () => {
  it('allows an unchanged object and label changes', () => {
    for (const kind of Object.keys(valid)) expect(update(kind, 'metadata.labels', { changed: 'yes' }), kind).toEqual([]);
  });

  it.each([
    ['Pod', 'metadata.name', 'other', 'metadata.name'],
    ['Pod', 'metadata.namespace', 'other', 'metadata.namespace'],
    ['Pod', 'metadata.uid', 'u2', 'metadata.uid'],
    ['ConfigMap', 'metadata.creationTimestamp', '2025-01-01T00:00:00Z', 'metadata.creationTimestamp'],
    ['Deployment', 'spec.selector', { matchLabels: { app: 'other' } }, 'spec.selector'],
    ['ReplicaSet', 'spec.selector.matchLabels.extra', 'x', 'spec.selector'],
    ['DaemonSet', 'spec.selector', { matchLabels: { x: 'y' } }, 'spec.selector'],
  ])('%s %s is immutable', (kind, path, value, field) => {
    expect(update(kind, path, value)).toMatchObject([{ field, reason: 'FieldValueInvalid', message: expect.stringContaining('field is immutable') }]);
  });

  it('lets a Deployment change its template and replicas', () => {
    expect(update('Deployment', 'spec.replicas', 5)).toEqual([]);
    expect(update('Deployment', 'spec.template.spec.containers[0].image', 'nginx:1.26')).toEqual([]);
  });

  it('pins the Service clusterIP once set', () => {
    const set = (o: KObject) => setPath(o, 'spec.clusterIP', '10.96.0.10');
    expect(update('Service', 'spec.clusterIP', '10.96.0.11', set)).toMatchObject([{ field: 'spec.clusterIP', reason: 'FieldValueInvalid' }]);
    expect(update('Service', 'spec.clusterIP', '10.96.0.11')).toEqual([]);
    expect(update('Service', 'spec.ports[0].port', 81, set)).toEqual([]);
  });

  it('freezes immutable ConfigMap and Secret data', () => {
    const frozen = (o: KObject) => { o.immutable = true; };
    expect(update('ConfigMap', 'data', { a: 'b' }, frozen)).toMatchObject([{ field: 'data', reason: 'FieldValueForbidden' }]);
    expect(update('ConfigMap', 'immutable', false, frozen)).toMatchObject([{ field: 'immutable', reason: 'FieldValueForbidden' }]);
    expect(update('Secret', 'data', { a: 'Yg==' }, frozen)).toMatchObject([{ field: 'data', reason: 'FieldValueForbidden' }]);
    expect(update('ConfigMap', 'data', { a: 'b' })).toEqual([]);
    expect(update('Secret', 'type', 'kubernetes.io/tls')).toMatchObject([{ field: 'type' }]);
  });

  describe('pods', () => {
    it('may change container images', () => {
      expect(update('Pod', 'spec.containers[0].image', 'nginx:1.26')).toEqual([]);
    });

    it('may be bound once (nodeName set when empty), not moved', () => {
      expect(update('Pod', 'spec.nodeName', 'pi-1')).toEqual([]);
      expect(update('Pod', 'spec.nodeName', 'pi-2', (o) => setPath(o, 'spec.nodeName', 'pi-1'))).toMatchObject([{ field: 'spec', reason: 'FieldValueForbidden', message: expect.stringContaining('changed spec.nodeName') }]);
    });

    it('may add tolerations but not remove them', () => {
      const one = (o: KObject) => setPath(o, 'spec.tolerations', [{ key: 'a', operator: 'Exists' }]);
      expect(update('Pod', 'spec.tolerations', [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }], one)).toEqual([]);
      expect(update('Pod', 'spec.tolerations', [], one)).toMatchObject([{ field: 'spec', reason: 'FieldValueForbidden' }]);
    });

    it('may lower activeDeadlineSeconds but not raise or remove it', () => {
      const set = (o: KObject) => setPath(o, 'spec.activeDeadlineSeconds', 100);
      expect(update('Pod', 'spec.activeDeadlineSeconds', 50, set)).toEqual([]);
      expect(update('Pod', 'spec.activeDeadlineSeconds', 200, set)).toMatchObject([{ field: 'spec.activeDeadlineSeconds' }]);
      expect(update('Pod', 'spec.activeDeadlineSeconds', 10)).toEqual([]);
    });

    it('forbids other spec changes and names the first changed field', () => {
      const errs = update('Pod', 'spec.containers[0].ports[0].containerPort', 8080);
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatchObject({ field: 'spec', reason: 'FieldValueForbidden' });
      expect(errs[0]!.message).toContain('pod updates may not change fields other than `spec.containers[*].image`');
      expect(errs[0]!.message).toContain('changed spec.containers[0].ports[0].containerPort');
      expect(update('Pod', 'spec.restartPolicy', 'Never')[0]!.message).toContain('changed spec.restartPolicy');
      expect(update('Pod', 'spec.containers[1]', { name: 'b', image: 'x' })[0]!.field).toBe('spec');
    });
  });
});
