// Kubernetes resource paths → what they address. Parsed by hand rather than by router
// patterns because `/api/v1/namespaces/foo/status` (a subresource of a namespace) and
// `/api/v1/namespaces/foo/pods` (a collection in a namespace) have the same shape.
import { resourceByPlural, type ResourceType } from '../api/registry.js';
import { StatusError } from '../api/status.js';

export interface ResourcePath {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function parseResourcePath(group: string, version: string, rest: string): ResourcePath {
  if (version !== 'v1') throw new StatusError('NotFound', `the server could not find the requested resource: no API version ${group ? `${group}/` : ''}${version}`);
  const seg = rest.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const find = (plural: string): ResourceType => {
    const rt = resourceByPlural(group, plural);
    if (!rt) throw new StatusError('NotFound', `the server could not find the requested resource: no resource "${plural}" in API group "${group}"`);
    return rt;
  };
  const nsScoped = seg[0] === 'namespaces' && seg.length >= 3 && resourceByPlural(group, seg[2]!)?.namespaced === true;
  if (nsScoped) {
    const [, namespace, plural, name, subresource, ...extra] = seg;
    if (extra.length > 0) throw new StatusError('NotFound', `the server could not find the requested resource: ${rest}`);
    const p: ResourcePath = { rt: find(plural!), namespace: namespace! };
    if (name !== undefined) p.name = name;
    if (subresource !== undefined) p.subresource = subresource;
    return p;
  }
  const [plural, name, subresource, ...extra] = seg;
  if (plural === undefined) throw new StatusError('NotFound', 'the server could not find the requested resource');
  if (extra.length > 0) throw new StatusError('NotFound', `the server could not find the requested resource: ${rest}`);
  const rt = find(plural);
  const p: ResourcePath = { rt };
  if (name !== undefined) {
    if (rt.namespaced) throw new StatusError('NotFound', `${plural} are namespaced: use /namespaces/{namespace}/${plural}/${name}`);
    p.name = name;
  }
  if (subresource !== undefined) p.subresource = subresource;
  return p;
}
