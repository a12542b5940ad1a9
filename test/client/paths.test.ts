import { describe, expect, it } from 'vitest';
import { resourceByName } from '../../src/api/registry.js';
import { resourcePath, withQuery } from '../../src/client/paths.js';

const rt = (n: string) => resourceByName(n)!;

describe('resourcePath', () => {
  it('builds core, group, namespaced and cluster-scoped paths', () => {
    expect(resourcePath(rt('po'), 'default', 'web-1')).toBe('/api/v1/namespaces/default/pods/web-1');
    expect(resourcePath(rt('po'), 'default')).toBe('/api/v1/namespaces/default/pods');
    expect(resourcePath(rt('po'), undefined)).toBe('/api/v1/pods');
    expect(resourcePath(rt('deploy'), 'prod', 'web', 'status')).toBe('/apis/apps/v1/namespaces/prod/deployments/web/status');
    expect(resourcePath(rt('deploy'), undefined)).toBe('/apis/apps/v1/deployments');
    expect(resourcePath(rt('nodes'), 'ignored', 'pi-1')).toBe('/api/v1/nodes/pi-1');
  });

  it('escapes names and refuses ambiguous requests', () => {
    expect(resourcePath(rt('cm'), 'a b', 'x/y')).toBe('/api/v1/namespaces/a%20b/configmaps/x%2Fy');
    expect(() => resourcePath(rt('po'), undefined, 'x')).toThrow(/namespace is required/);
    expect(() => resourcePath(rt('po'), 'default', '')).toThrow(/empty/);
    expect(() => resourcePath(rt('po'), 'default', undefined, 'status')).toThrow(/needs a resource name/);
  });
});

describe('withQuery', () => {
  it('drops undefined and empty values and encodes the rest', () => {
    expect(withQuery('/p', {})).toBe('/p');
    expect(withQuery('/p', { labelSelector: 'app=web,tier in (a,b)', limit: 5, continue: undefined, fieldSelector: '' }))
      .toBe('/p?labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29&limit=5');
    expect(withQuery('/p', { watch: true, resourceVersion: '7' })).toBe('/p?watch=true&resourceVersion=7');
  });
});
