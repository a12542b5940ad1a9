import { describe, expect, it } from 'vitest';
import { findUnknownFields, pruneUnknownFields } from '../../src/api/validation.js';
import { rt, valid, withChange } from './helpers.js';

describe('findUnknownFields', () => {
  it('finds none in valid objects of every kind', () => {
    for (const kind of Object.keys(valid)) expect(findUnknownFields(rt(kind), valid[kind]!()), kind).toEqual([]);
  });

  it.each([
    ['Pod', 'spec.containers[0].imagee'],
    ['Pod', 'spec.containers[0].livenessProbe.httpGet.prot'],
    ['Pod', 'spec.volumes[0].emptyDir.size'],
    ['Pod', 'spec.foo'],
    ['Pod', 'metadata.label'],
    ['Pod', 'extra'],
    ['Deployment', 'spec.template.spec.containers[0].resource'],
    ['Deployment', 'spec.strategy.rollingUpdate.maxSurges'],
    ['Deployment', 'spec.selector.matchLabel'],
    ['Service', 'spec.ports[0].targetport'],
    ['Secret', 'datas'],
    ['Event', 'involvedObject.names'],
    ['Node', 'status.nodeInfo.cpu'],
  ])('%s: %s', (kind, path) => {
    expect(findUnknownFields(rt(kind), withChange(kind, path, 'x'))).toEqual([path]);
  });

  it('does not look inside maps (labels, data, resources)', () => {
    const o = withChange('Pod', 'metadata.labels.anything', 'x');
    (o.spec as { containers: { resources: { limits: Record<string, string> } }[] }).containers[0]!.resources.limits['bramble.dev/gpio'] = '1';
    expect(findUnknownFields(rt('Pod'), o)).toEqual([]);
  });

  it('accepts managedFields from kubectl output without looking inside', () => {
    expect(findUnknownFields(rt('Pod'), withChange('Pod', 'metadata.managedFields', [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }]))).toEqual([]);
  });

  it('walks int-or-string unions without complaint', () => {
    expect(findUnknownFields(rt('Service'), withChange('Service', 'spec.ports[0].targetPort', 8080))).toEqual([]);
  });

  it('lists several in document order', () => {
    const o = withChange('Pod', 'spec.containers[0].imagee', 'x');
    (o.spec as Record<string, unknown>).nodename = 'a';
    expect(findUnknownFields(rt('Pod'), o)).toEqual(['spec.containers[0].imagee', 'spec.nodename']);
  });
});

describe('pruneUnknownFields', () => {
  it('drops unknown fields, keeps the rest and does not mutate the input', () => {
    const o = withChange('Pod', 'spec.containers[0].imagee', 'x');
    const before = structuredClone(o);
    const pruned = pruneUnknownFields(rt('Pod'), o);
    expect(o).toEqual(before);
    expect(findUnknownFields(rt('Pod'), pruned)).toEqual([]);
    expect(pruned).toEqual(valid.Pod!());
  });
});
