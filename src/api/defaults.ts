// Defaulting: the values Kubernetes fills in when a field is left out. Always returns a new
// object; running it twice gives the same result. `metadata.namespace` comes from the
// request URL and is set by the API server, not here.

import { asArr } from './checks.js';
import type { ResourceType } from './registry.js';
import { dropNulls, isPlainObject } from './schema-walk.js';
import type { KObject } from './types.js';

type Obj = Record<string, unknown>;

/** The object at `o[k]`, created if absent (only on the private copy being defaulted). */
function sub(o: Obj, k: string): Obj {
  if (!isPlainObject(o[k])) o[k] = {};
  return o[k] as Obj;
}

function setDefault(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined) o[k] = v;
}

function objects(v: unknown): Obj[] {
  return asArr(v).filter(isPlainObject);
}

/** `Always` for `:latest` or untagged images (they may change), `IfNotPresent` for a fixed tag or digest. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon >= 0 ? lastPart.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: unknown): void {
  if (!isPlainObject(p)) return;
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  if (isPlainObject(p.httpGet)) {
    setDefault(p.httpGet, 'path', '/');
    setDefault(p.httpGet, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Obj): void {
  if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const p of objects(c.ports)) setDefault(p, 'protocol', 'TCP');
  for (const e of objects(c.env)) {
    const from = e.valueFrom;
    if (isPlainObject(from) && isPlainObject(from.fieldRef)) setDefault(from.fieldRef, 'apiVersion', 'v1');
  }
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[k]);
}

const defaultFileMode = 0o644;

function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'priority', 0);
  // The deprecated `serviceAccount` alias wins over the default when it is the only one set.
  setDefault(spec, 'serviceAccountName', typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' ? spec.serviceAccount : 'default');
  setDefault(spec, 'enableServiceLinks', true);
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) defaultContainer(c);
  for (const v of objects(spec.volumes)) {
    if (isPlainObject(v.configMap)) setDefault(v.configMap, 'defaultMode', defaultFileMode);
    if (isPlainObject(v.secret)) setDefault(v.secret, 'defaultMode', defaultFileMode);
    if (isPlainObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  }
}

function defaultTemplate(spec: Obj): void {
  const tpl = spec.template;
  if (isPlainObject(tpl) && isPlainObject(tpl.spec)) defaultPodSpec(tpl.spec);
}

function defaultDeployment(o: Obj): void {
  const spec = sub(o, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = sub(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = sub(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

function defaultDaemonSet(o: Obj): void {
  const spec = sub(o, 'spec');
  const strategy = sub(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = sub(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
}

function defaultService(o: Obj): void {
  const spec = sub(o, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  for (const p of objects(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'targetPort', p.port);
  }
}

function defaultSecret(o: Obj): void {
  setDefault(o, 'type', 'Opaque');
  if (!isPlainObject(o.stringData)) return;
  // stringData is write-only convenience: merged into data (winning over it), then dropped.
  const data = sub(o, 'data');
  for (const [k, v] of Object.entries(o.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  delete o.stringData;
}

const byKind: Partial<Record<string, (o: Obj) => void>> = {
  Pod: (o) => defaultPodSpec(sub(o, 'spec')),
  Deployment: defaultDeployment,
  ReplicaSet: (o) => {
    setDefault(sub(o, 'spec'), 'replicas', 1);
    defaultTemplate(sub(o, 'spec'));
  },
  DaemonSet: defaultDaemonSet,
  Service: defaultService,
  Secret: defaultSecret,
};

/** A defaulted copy of `obj` (nulls dropped, as Kubernetes treats them as absent). Never mutates `obj`. */
export function applyDefaults(rt: ResourceType, obj: KObject): KObject {
  // dropNulls makes a new object and array all the way down: it is the copy.
  const copy = dropNulls(obj);
  byKind[rt.kind]?.(copy);
  return copy;
}

/**
 * For a Service update: values the server allocated (clusterIP, clusterIPs, nodePorts) that the
 * new object leaves unset are carried over from the stored one, as Kubernetes does, so a
 * re-applied manifest without them is not an attempt to change them. Returns a new object.
 */
export function carryOverAllocations(rt: ResourceType, next: KObject, prev: KObject): KObject {
  if (rt.kind !== 'Service') return next;
  const copy = structuredClone(next);
  const n = sub(copy, 'spec');
  const p = isPlainObject(prev.spec) ? prev.spec : {};
  if ((n.clusterIP === undefined || n.clusterIP === '') && p.clusterIP !== undefined) n.clusterIP = p.clusterIP;
  if (n.clusterIPs === undefined && p.clusterIPs !== undefined) n.clusterIPs = structuredClone(p.clusterIPs);
  // Leaving NodePort/LoadBalancer drops what only those types have, when the client merely
  // kept it from the old object (Kubernetes' dropTypeDependentFields).
  const exposed = (t: unknown): boolean => t === 'NodePort' || t === 'LoadBalancer';
  if (exposed(p.type) && !exposed(n.type) && n.externalTrafficPolicy === p.externalTrafficPolicy) delete n.externalTrafficPolicy;
  const prevPorts = objects(p.ports);
  for (const port of objects(n.ports)) {
    if (port.nodePort !== undefined) continue;
    const same = prevPorts.find((q) => q.port === port.port && (q.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
    if (same?.nodePort !== undefined && (n.type === 'NodePort' || n.type === 'LoadBalancer')) port.nodePort = same.nodePort;
  }
  return copy;
}
