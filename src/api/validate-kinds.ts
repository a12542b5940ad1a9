// Semantic checks per kind, after the schema check. Each returns FieldErrors in field order.

import { isIP } from 'node:net';
import { asArr, asObj, asStr, asStrMap, checkLabel, checkLabelSelector, checkLabels, checkPortNumber, checkPortOrName, checkSubdomain } from './checks.js';
import { child, fieldError, index, key } from './field-errors.js';
import type { KindName } from './schemas.js';
import { dns1123LabelProblem, configKeyProblem } from './names.js';
import { labelKeyProblem, labelSelectorFromSpec, labelValueProblem, matchesLabels } from './selectors.js';
import type { FieldError } from './types.js';
import { validateMetaMaps } from './validate-meta.js';
import { validatePodSpec } from './validate-pod.js';

type Obj = Record<string, unknown>;
type Errs = FieldError[];

function checkTemplate(spec: Obj, kind: string): Errs {
  const out: Errs = [];
  const sel = asObj(spec.selector);
  const selEmpty = Object.keys(asObj(sel.matchLabels)).length === 0 && asArr(sel.matchExpressions).length === 0;
  if (spec.selector !== undefined) {
    if (selEmpty) out.push(fieldError.invalid('spec.selector', sel, `empty selector is invalid for ${kind.toLowerCase()}`));
    out.push(...checkLabelSelector(sel, 'spec.selector'));
  }
  if (spec.template === undefined) {
    if (kind === 'ReplicaSet') out.push(fieldError.required('spec.template'));
    return out;
  }
  const tpl = asObj(spec.template);
  const meta = asObj(tpl.metadata);
  out.push(...validateMetaMaps(meta, 'spec.template.metadata'));
  const labels = Object.fromEntries(asStrMap(meta.labels));
  if (spec.selector !== undefined && !selEmpty && out.length === 0) {
    try {
      if (!matchesLabels(labelSelectorFromSpec(sel as Parameters<typeof labelSelectorFromSpec>[0]), labels)) {
        out.push(fieldError.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
      }
    } catch {
      // A bad operator is already reported by the schema check.
    }
  }
  out.push(...validatePodSpec(tpl.spec, 'spec.template.spec', true));
  return out;
}

/** maxSurge/maxUnavailable: not both zero; a percentage of unavailability at most 100%. */
function checkRollingUpdate(ru: unknown, path: string): Errs {
  const r = asObj(ru);
  const out: Errs = [];
  const isZero = (v: unknown) => v === 0 || v === '0%';
  if (typeof r.maxUnavailable === 'string' && /^\d+%$/.test(r.maxUnavailable) && parseInt(r.maxUnavailable, 10) > 100) {
    out.push(fieldError.invalid(child(path, 'maxUnavailable'), r.maxUnavailable, 'must not be greater than 100%'));
  }
  if (r.maxUnavailable !== undefined && r.maxSurge !== undefined && isZero(r.maxUnavailable) && isZero(r.maxSurge)) {
    out.push(fieldError.invalid(child(path, 'maxUnavailable'), r.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  return out;
}

function deployment(o: Obj): Errs {
  const spec = asObj(o.spec);
  const out = checkTemplate(spec, 'Deployment');
  const strategy = asObj(spec.strategy);
  if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined) {
    out.push(fieldError.forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''));
  }
  out.push(...checkRollingUpdate(strategy.rollingUpdate, 'spec.strategy.rollingUpdate'));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number' && typeof spec.minReadySeconds === 'number' && pds <= spec.minReadySeconds) {
    out.push(fieldError.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return out;
}

function daemonSet(o: Obj): Errs {
  const spec = asObj(o.spec);
  const out = checkTemplate(spec, 'DaemonSet');
  const strategy = asObj(spec.updateStrategy);
  if (strategy.type === 'OnDelete' && strategy.rollingUpdate !== undefined) {
    out.push(fieldError.forbidden('spec.updateStrategy.rollingUpdate', 'may not be specified when strategy `type` is \'OnDelete\''));
  }
  out.push(...checkRollingUpdate(strategy.rollingUpdate, 'spec.updateStrategy.rollingUpdate'));
  return out;
}

function checkIP(v: unknown, path: string): Errs {
  const s = asStr(v);
  if (s === undefined || s === '' || isIP(s) !== 0) return [];
  return [fieldError.invalid(path, s, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

function servicePorts(spec: Obj): Errs {
  const out: Errs = [];
  const ports = asArr(spec.ports);
  const type = asStr(spec.type) ?? 'ClusterIP';
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((raw, i) => {
    const p = asObj(raw);
    const pp = index('spec.ports', i);
    const name = asStr(p.name);
    if (ports.length > 1 && !name) out.push(fieldError.required(child(pp, 'name')));
    if (name) {
      const np = dns1123LabelProblem(name);
      if (np) out.push(fieldError.invalid(child(pp, 'name'), name, np));
      else if (names.has(name)) out.push(fieldError.duplicate(child(pp, 'name'), name));
      names.add(name);
    }
    out.push(...checkPortNumber(p.port, child(pp, 'port')));
    out.push(...checkPortOrName(p.targetPort, child(pp, 'targetPort')));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type === 'ClusterIP') out.push(fieldError.forbidden(child(pp, 'nodePort'), 'may not be used when `type` is \'ClusterIP\''));
      else out.push(...checkPortNumber(p.nodePort, child(pp, 'nodePort')));
    }
    const id = `${String(p.port)}/${String(p.protocol ?? 'TCP')}`;
    if (seen.has(id)) out.push(fieldError.duplicate(pp, { port: p.port, protocol: p.protocol ?? 'TCP' }));
    seen.add(id);
  });
  return out;
}

function service(o: Obj): Errs {
  const spec = asObj(o.spec);
  const type = asStr(spec.type) ?? 'ClusterIP';
  const headless = spec.clusterIP === 'None';
  const out: Errs = [];
  if (asArr(spec.ports).length === 0 && !headless) out.push(fieldError.required('spec.ports'));
  out.push(...servicePorts(spec));
  out.push(...checkLabels(spec.selector, 'spec.selector'));
  if (!headless) out.push(...checkIP(spec.clusterIP, 'spec.clusterIP'));
  if (headless && type !== 'ClusterIP') out.push(fieldError.invalid('spec.clusterIP', 'None', `may not be set to 'None' for ${type} services`));
  const ips = asArr(spec.clusterIPs);
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && ips.length > 0 && ips[0] !== spec.clusterIP) {
    out.push(fieldError.invalid('spec.clusterIPs', ips, 'element [0] must match clusterIP'));
  }
  ips.forEach((ip, i) => { if (ip !== 'None') out.push(...checkIP(ip, index('spec.clusterIPs', i))); });
  if (spec.externalTrafficPolicy !== undefined && type === 'ClusterIP') {
    out.push(fieldError.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set when `type` is \'NodePort\' or \'LoadBalancer\''));
  }
  if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinity !== 'ClientIP') {
    out.push(fieldError.forbidden('spec.sessionAffinityConfig', 'must not be set when `sessionAffinity` is None'));
  }
  return out;
}

function endpoints(o: Obj): Errs {
  const out: Errs = [];
  asArr(o.subsets).forEach((raw, i) => {
    const s = asObj(raw);
    const sp = index('subsets', i);
    for (const list of ['addresses', 'notReadyAddresses']) {
      asArr(s[list]).forEach((a, j) => {
        const ap = index(child(sp, list), j);
        const addr = asObj(a);
        out.push(...checkIP(addr.ip, child(ap, 'ip')));
        out.push(...checkLabel(addr.hostname, child(ap, 'hostname')));
        out.push(...checkSubdomain(addr.nodeName, child(ap, 'nodeName')));
      });
    }
    const ports = asArr(s.ports);
    const names = new Set<string>();
    ports.forEach((p, j) => {
      const port = asObj(p);
      const pp = index(child(sp, 'ports'), j);
      const name = asStr(port.name);
      if (ports.length > 1 && !name) out.push(fieldError.required(child(pp, 'name')));
      if (name) {
        if (dns1123LabelProblem(name)) out.push(fieldError.invalid(child(pp, 'name'), name, dns1123LabelProblem(name)!));
        else if (names.has(name)) out.push(fieldError.duplicate(child(pp, 'name'), name));
        names.add(name);
      }
      out.push(...checkPortNumber(port.port, child(pp, 'port')));
    });
  });
  return out;
}

const maxConfigBytes = 1024 * 1024;

function checkConfigKeys(o: Obj, fields: string[], secret: boolean): Errs {
  const out: Errs = [];
  const seen = new Set<string>();
  let size = 0;
  for (const f of fields) {
    for (const [k, v] of asStrMap(o[f])) {
      const p = configKeyProblem(k);
      if (p) out.push(fieldError.invalid(key(f, k), k, p));
      if (f !== 'stringData' && seen.has(k)) out.push(fieldError.invalid(key(f, k), k, 'duplicate of key present in `data`'));
      if (f !== 'stringData') seen.add(k);
      const base64 = f === 'binaryData' || (secret && f === 'data');
      // The value is never echoed back: Secret contents must not appear in errors or logs.
      if (base64 && !isBase64(v)) out.push(fieldError.invalid(key(f, k), '<value omitted>', 'must be valid base64 (standard alphabet, padded)'));
      size += base64 ? Math.floor((v.length * 3) / 4) : Buffer.byteLength(v);
    }
  }
  if (size > maxConfigBytes) out.push(fieldError.tooLong(fields[0]!, maxConfigBytes, 'bytes'));
  return out;
}

export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

const secretRequiredKeys: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/basic-auth': [],
};

function secret(o: Obj): Errs {
  const out = checkConfigKeys(o, ['data', 'stringData'], true);
  const type = asStr(o.type) ?? 'Opaque';
  const keys = new Set([...Object.keys(asObj(o.data)), ...Object.keys(asObj(o.stringData))]);
  for (const k of secretRequiredKeys[type] ?? []) if (!keys.has(k)) out.push(fieldError.required(key('data', k)));
  return out;
}

function event(o: Obj): Errs {
  const inv = asObj(o.involvedObject);
  const ns = asStr(asObj(o.metadata).namespace);
  const ins = asStr(inv.namespace);
  if (ns && ins && ins !== ns) return [fieldError.invalid('involvedObject.namespace', ins, 'does not match event.namespace')];
  return [];
}

function node(o: Obj): Errs {
  const out: Errs = [];
  const seen = new Set<string>();
  asArr(asObj(o.spec).taints).forEach((raw, i) => {
    const t = asObj(raw);
    const p = index('spec.taints', i);
    const k = asStr(t.key);
    if (k !== undefined && labelKeyProblem(k)) out.push(fieldError.invalid(child(p, 'key'), k, labelKeyProblem(k)!));
    const v = asStr(t.value);
    if (v !== undefined && labelValueProblem(v)) out.push(fieldError.invalid(child(p, 'value'), v, labelValueProblem(v)!));
    const id = `${String(k)}:${String(t.effect)}`;
    if (seen.has(id)) out.push(fieldError.duplicate(p, id));
    seen.add(id);
  });
  return out;
}

const byKind: Partial<Record<KindName, (o: Obj) => Errs>> = {
  Pod: (o) => validatePodSpec(o.spec, 'spec'),
  Deployment: deployment,
  ReplicaSet: (o) => checkTemplate(asObj(o.spec), 'ReplicaSet'),
  DaemonSet: daemonSet,
  Service: service,
  Endpoints: endpoints,
  ConfigMap: (o) => checkConfigKeys(o, ['data', 'binaryData'], false),
  Secret: secret,
  Event: event,
  Node: node,
};

export function validateKind(kind: KindName, o: Obj): FieldError[] {
  return byKind[kind]?.(o) ?? [];
}
