// Discovery documents (/api, /apis, /api/v1, /apis/apps/v1), so Kubernetes clients can find their way.
import type { FastifyInstance } from 'fastify';
import { resourceTypes } from '../api/registry.js';

function resourceList(group: string) {
  const groupVersion = group === '' ? 'v1' : `${group}/v1`;
  const resources = [];
  for (const r of resourceTypes.filter((t) => t.group === group)) {
    resources.push({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, shortNames: [...r.shortNames], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] });
    if (r.hasStatus) resources.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

export function registerDiscoveryRoutes(app: FastifyInstance): void {
  app.get('/api', async () => ({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }));
  app.get('/apis', async () => ({
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
  }));
  app.get('/api/v1', async () => resourceList(''));
  app.get('/apis/apps/v1', async () => resourceList('apps'));
}
