import { describe, expect, it } from 'vitest';
import {
  fieldValue, formatLabelSelector, isEverything, labelKeyProblem, labelSelectorFromSpec, labelValueProblem, matchesFields, matchesLabels,
  parseFieldSelector, parseLabelSelector,
} from '../../src/api/selectors.js';
import { StatusError } from '../../src/api/status.js';

const labels = { app: 'web', env: 'prod', tier: 'front', gen: '3' };

describe('label selectors', () => {
  it.each([
    ['', true], ['app=web', true], ['app==web', true], ['app!=web', false], ['app=db', false], ['env in (prod,staging)', true],
    ['env notin (prod)', false], ['app', true], ['!app', false], ['!legacy', true], ['app=web,env=prod', true], ['app=web,env=dev', false],
    ['gen>2', true], ['gen<3', false], ['missing!=x', true], ['app in (web, api),tier', true],
  ])('%j matches: %s', (text, expected) => {
    expect(matchesLabels(parseLabelSelector(text), labels)).toBe(expected);
  });

  it.each(['=web', 'app in ()', 'gen>x', 'a b', 'app=web,', 'bad key=x'])('%j is rejected with BadRequest', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(StatusError);
  });

  it('treats `app=` as an empty value', () => {
    expect(matchesLabels(parseLabelSelector('app='), { app: '' })).toBe(true);
  });

  it('round-trips through its text form', () => {
    const text = 'app=web,env in (prod,staging),!legacy,tier,gen>2,x!=y';
    const sel = parseLabelSelector(text);
    expect(parseLabelSelector(formatLabelSelector(sel))).toEqual(sel);
  });

  it('builds from the object form', () => {
    const sel = labelSelectorFromSpec({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] });
    expect(matchesLabels(sel, labels)).toBe(true);
    expect(matchesLabels(sel, { app: 'web' })).toBe(false);
    expect(isEverything(labelSelectorFromSpec({}))).toBe(true);
    expect(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).toThrow('Near');
  });

  it('checks label keys and values', () => {
    expect(labelKeyProblem('app.kubernetes.io/name')).toBeUndefined();
    expect(labelKeyProblem('Bad Key')).toBeDefined();
    expect(labelKeyProblem(`${'a'.repeat(64)}`)).toContain('63');
    expect(labelValueProblem('')).toBeUndefined();
    expect(labelValueProblem('-x')).toBeDefined();
    expect(labelValueProblem('a'.repeat(64))).toContain('63');
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'web-1', namespace: 'default' }, spec: { nodeName: 'pi-1' }, status: { phase: 'Running' } };
  const supported = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'];

  it('matches = and !=', () => {
    expect(matchesFields(parseFieldSelector('spec.nodeName=pi-1,status.phase!=Failed', supported), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName==pi-2', supported), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('', supported), pod)).toBe(true);
  });

  it('rejects unsupported fields and bad terms', () => {
    expect(() => parseFieldSelector('spec.hostname=x', supported)).toThrow('field label not supported');
    expect(() => parseFieldSelector('nonsense', supported)).toThrow(StatusError);
  });

  it('reads absent fields as the empty string', () => {
    expect(fieldValue(pod, 'spec.missing')).toBe('');
    expect(fieldValue({ spec: { unschedulable: true } }, 'spec.unschedulable')).toBe('true');
  });
});
