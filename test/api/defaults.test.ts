import { describe, expect, it } from 'vitest';
import { applyDefaults, carryOverAllocations, defaultPullPolicy } from '../../src/api/defaults.js';
import type { Deployment, Pod, Service } from '../../src/api/schemas.js';
import type { KObject } from '../../src/api/types.js';
import { validateObject } from '../../src/api/validation.js';
import { rt, valid } from './helpers.js';

describe('applyDefaults', () => {
  it('fills pod defaults', () => {
    const pod = applyDefaults(rt('Pod'), valid.Pod!()) as unknown as Pod;
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', priority: 0,
      serviceAccountName: 'default', enableServiceLinks: true, schedulerName: 'default-scheduler',
    });
    const c = pod.spec.containers[0]!;
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.ports![0]!.protocol).toBe('TCP');
    expect(c.livenessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, httpGet: { scheme: 'HTTP' } });
  });

  it('keeps values that are set', () => {
    const o = valid.Pod!();
    Object.assign(o.spec as object, { restartPolicy: 'Never', terminationGracePeriodSeconds: 0 });
    const pod = applyDefaults(rt('Pod'), o) as unknown as Pod;
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(0);
  });

  it.each([
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/app', 'Always'], ['registry.local:5000/app:v2', 'IfNotPresent'], ['app@sha256:abc', 'IfNotPresent'],
  ])('imagePullPolicy for %s is %s', (image, policy) => expect(defaultPullPolicy(image)).toBe(policy));

  it('fills Deployment defaults and its template', () => {
    const o = valid.Deployment!();
    delete (o.spec as Record<string, unknown>).replicas;
    const d = applyDefaults(rt('Deployment'), o) as unknown as Deployment;
    expect(d.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(d.spec.template.spec.containers[0]!.ports![0]!.protocol).toBe('TCP');
  });

  it('does not add rollingUpdate to a Recreate strategy', () => {
    const o = valid.Deployment!();
    (o.spec as Record<string, unknown>).strategy = { type: 'Recreate' };
    const d = applyDefaults(rt('Deployment'), o) as unknown as Deployment;
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(validateObject(rt('Deployment'), d)).toEqual([]);
  });

  it('fills ReplicaSet and DaemonSet defaults', () => {
    const rs = valid.ReplicaSet!();
    delete (rs.spec as Record<string, unknown>).replicas;
    expect(applyDefaults(rt('ReplicaSet'), rs).spec).toMatchObject({ replicas: 1, template: { spec: { restartPolicy: 'Always' } } });
    expect(applyDefaults(rt('DaemonSet'), valid.DaemonSet!()).spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } });
  });

  it('fills Service defaults', () => {
    const o = valid.Service!();
    (o.spec as { ports: unknown[] }).ports = [{ port: 80 }];
    const s = applyDefaults(rt('Service'), o) as unknown as Service;
    expect(s.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  it('merges Secret stringData into data as base64 and defaults the type', () => {
    const o = valid.Secret!();
    o.stringData = { user: 'admin', token: 'new' };
    const s = applyDefaults(rt('Secret'), o);
    expect(s).toMatchObject({ type: 'Opaque', data: { token: Buffer.from('new').toString('base64'), user: 'YWRtaW4=' } });
    expect(s.stringData).toBeUndefined();
  });

  it('is idempotent, never mutates its input, and leaves valid objects valid', () => {
    for (const kind of Object.keys(valid)) {
      const o: KObject = valid[kind]!();
      if (kind === 'Secret') o.stringData = { a: 'b' };
      const before = structuredClone(o);
      const once = applyDefaults(rt(kind), o);
      expect(o, kind).toEqual(before);
      expect(applyDefaults(rt(kind), once), kind).toEqual(once);
      expect(validateObject(rt(kind), once), kind).toEqual([]);
    }
  });

  it('drops nulls', () => {
    const o = valid.Pod!();
    (o.spec as Record<string, unknown>).nodeSelector = null;
    expect('nodeSelector' in (applyDefaults(rt('Pod'), o).spec as object)).toBe(false);
  });
});

describe('carryOverAllocations', () => {
  it('keeps clusterIP and nodePorts the new object leaves unset', () => {
    const prev = valid.Service!();
    Object.assign(prev.spec as object, { type: 'NodePort', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, nodePort: 30080 }] });
    const next = valid.Service!();
    Object.assign(next.spec as object, { type: 'NodePort', ports: [{ port: 80 }] });
    const merged = carryOverAllocations(rt('Service'), next, prev) as unknown as Service;
    expect(merged.spec).toMatchObject({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, nodePort: 30080 }] });
    expect((next.spec as Record<string, unknown>).clusterIP).toBeUndefined();
  });
});
