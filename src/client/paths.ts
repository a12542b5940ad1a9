// Every URL the client calls is built here, so the Kubernetes path rules live in one place.
import type { ResourceType } from '../api/registry.js';

/**
 * `/api/v1/namespaces/{ns}/pods/{name}/status`, `/apis/apps/v1/deployments`, `/api/v1/nodes/{name}`.
 * A namespaced kind with no namespace is the all-namespaces collection; a cluster-scoped kind ignores `ns`.
 */
export function resourcePath(rt: ResourceType, ns: string | undefined, name?: string, subresource?: string): string {
  if (name !== undefined && name === '') throw new Error(`resource name may not be empty`);
  if (rt.namespaced && name !== undefined && ns === undefined) {
    throw new Error(`a namespace is required to address ${rt.plural} "${name}"`);
  }
  if (subresource !== undefined && name === undefined) throw new Error(`subresource "${subresource}" needs a resource name`);
  let p = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  if (rt.namespaced && ns !== undefined) p += `/namespaces/${encodeURIComponent(ns)}`;
  p += `/${rt.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) p += `/${subresource}`;
  return p;
}

/** Appends the defined, non-empty parameters as a query string. */
export function withQuery(path: string, params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}
