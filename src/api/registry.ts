// Every kind Bramble serves: where it lives in the API, what it is called, and its schema.
// The API server builds its routes from this table; the CLI resolves names (po, deploy, ...) with it.

import type { TSchema } from '@sinclair/typebox';
import { kindSchemas, type KindName } from './schemas.js';

export interface ResourceType {
  group: '' | 'apps';
  version: 'v1';
  /** `v1` or `apps/v1`. */
  apiVersion: string;
  kind: KindName;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
  /** Has a `status` subresource: status is written only through `/status`. */
  hasStatus: boolean;
  /** Fields usable in `fieldSelector`, beyond metadata.name and metadata.namespace. */
  selectableFields: readonly string[];
  schema: TSchema;
}

interface Row {
  group: '' | 'apps';
  kind: KindName;
  plural: string;
  shortNames?: string[];
  namespaced: boolean;
  hasStatus: boolean;
  fields?: string[];
}

const rows: Row[] = [
  { group: '', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, hasStatus: true, fields: ['status.phase'] },
  { group: '', kind: 'Node', plural: 'nodes', shortNames: ['no'], namespaced: false, hasStatus: true, fields: ['spec.unschedulable'] },
  { group: '', kind: 'Pod', plural: 'pods', shortNames: ['po'], namespaced: true, hasStatus: true, fields: ['spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.hostIP'] },
  { group: '', kind: 'Service', plural: 'services', shortNames: ['svc'], namespaced: true, hasStatus: true, fields: ['spec.type', 'spec.clusterIP'] },
  { group: '', kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'], namespaced: true, hasStatus: false },
  { group: '', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'], namespaced: true, hasStatus: false },
  { group: '', kind: 'Secret', plural: 'secrets', namespaced: true, hasStatus: false, fields: ['type'] },
  { group: '', kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true, hasStatus: false, fields: ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type'] },
  { group: '', kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'], namespaced: true, hasStatus: false },
  { group: 'apps', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], namespaced: true, hasStatus: true },
  { group: 'apps', kind: 'ReplicaSet', plural: 'replicasets', shortNames: ['rs'], namespaced: true, hasStatus: true },
  { group: 'apps', kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], namespaced: true, hasStatus: true },
];

export const resourceTypes: readonly ResourceType[] = rows.map((r) => ({
  group: r.group,
  version: 'v1',
  apiVersion: r.group === '' ? 'v1' : `${r.group}/v1`,
  kind: r.kind,
  listKind: `${r.kind}List`,
  plural: r.plural,
  singular: r.kind.toLowerCase(),
  shortNames: r.shortNames ?? [],
  namespaced: r.namespaced,
  hasStatus: r.hasStatus,
  selectableFields: ['metadata.name', 'metadata.namespace', ...(r.fields ?? [])],
  schema: kindSchemas[r.kind],
}));

export function resourceByPlural(group: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.group === group && r.plural === plural);
}

export function resourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.apiVersion === apiVersion && r.kind === kind);
}

/** What a user may type: plural, singular, short name or Kind, any case (`po`, `pods`, `Pod`, `deploy`, `deployments.apps`). */
export function resourceByName(name: string): ResourceType | undefined {
  const n = name.toLowerCase();
  const [base = n, group] = n.includes('.') ? [n.slice(0, n.indexOf('.')), n.slice(n.indexOf('.') + 1)] : [n, undefined];
  return resourceTypes.find((r) =>
    (group === undefined || r.group === group) &&
    (r.plural === base || r.singular === base || r.shortNames.includes(base)));
}

/** The store key of one object, and the prefixes of lists. */
export function storeKey(r: ResourceType, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${storePrefix(r, namespace)}${name}` : `${storePrefix(r)}${name}`;
}

/** `/registry/<group>/<plural>/` or, with a namespace, `/registry/<group>/<plural>/<ns>/`. */
export function storePrefix(r: ResourceType, namespace?: string): string {
  const base = `/registry/${r.group === '' ? 'core' : r.group}/${r.plural}/`;
  return r.namespaced && namespace !== undefined ? `${base}${namespace}/` : base;
}
