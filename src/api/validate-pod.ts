// Semantic checks of a pod spec (a Pod's `spec` or a template's `spec.template.spec`).

import { asArr, asObj, asStr, checkLabel, checkLabels, checkOperatorValues, checkPortNumber, checkPortOrName, checkSubdomain } from './checks.js';
import { child, fieldError, index, key } from './field-errors.js';
import { configKeyProblem, dns1123LabelProblem, portNameProblem } from './names.js';
import { parseQuantity, quantityProblem } from './quantity.js';
import { labelKeyProblem, labelValueProblem } from './selectors.js';
import type { FieldError } from './types.js';

type Errs = FieldError[];

function checkEnv(c: Record<string, unknown>, path: string): Errs {
  const out: Errs = [];
  asArr(c.env).forEach((raw, i) => {
    const e = asObj(raw);
    const p = index(child(path, 'env'), i);
    const name = asStr(e.name);
    if (name === '') out.push(fieldError.required(child(p, 'name')));
    else if (name?.includes('=')) out.push(fieldError.invalid(child(p, 'name'), name, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
    if (e.valueFrom === undefined) return;
    const from = asObj(e.valueFrom);
    const fp = child(p, 'valueFrom');
    if (asStr(e.value)) out.push(fieldError.invalid(fp, '', 'may not be specified when `value` is not empty'));
    const sources = ['configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef'].filter((s) => from[s] !== undefined);
    if (sources.length === 0) out.push(fieldError.required(fp, 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    if (sources.length > 1) out.push(fieldError.invalid(fp, '', 'may not have more than one field specified at a time'));
    for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
      if (from[ref] === undefined) continue;
      const r = asObj(from[ref]);
      const rp = child(fp, ref);
      if (!asStr(r.name)) out.push(fieldError.required(child(rp, 'name')));
      const k = asStr(r.key);
      if (k === '') out.push(fieldError.required(child(rp, 'key')));
      else if (k !== undefined && configKeyProblem(k)) out.push(fieldError.invalid(child(rp, 'key'), k, configKeyProblem(k)!));
    }
    if (from.fieldRef !== undefined && !asStr(asObj(from.fieldRef).fieldPath)) out.push(fieldError.required(child(child(fp, 'fieldRef'), 'fieldPath')));
  });
  asArr(c.envFrom).forEach((raw, i) => {
    const e = asObj(raw);
    const p = index(child(path, 'envFrom'), i);
    const n = (e.configMapRef !== undefined ? 1 : 0) + (e.secretRef !== undefined ? 1 : 0);
    if (n === 0) out.push(fieldError.required(p, 'must specify one of: `configMapRef` or `secretRef`'));
    if (n > 1) out.push(fieldError.invalid(p, '', 'may not have more than one field specified at a time'));
  });
  return out;
}

function checkPorts(c: Record<string, unknown>, path: string, hostNetwork: boolean): Errs {
  const out: Errs = [];
  const names = new Set<string>();
  asArr(c.ports).forEach((raw, i) => {
    const p = asObj(raw);
    const pp = index(child(path, 'ports'), i);
    const name = asStr(p.name);
    if (name !== undefined) {
      const np = portNameProblem(name);
      if (np) out.push(fieldError.invalid(child(pp, 'name'), name, np));
      else if (names.has(name)) out.push(fieldError.duplicate(child(pp, 'name'), name));
      names.add(name);
    }
    out.push(...checkPortNumber(p.containerPort, child(pp, 'containerPort')));
    // hostPort 0 means "not published", as in Kubernetes.
    if (p.hostPort !== 0) out.push(...checkPortNumber(p.hostPort, child(pp, 'hostPort')));
    if (hostNetwork && typeof p.hostPort === 'number' && p.hostPort !== 0 && p.hostPort !== p.containerPort) {
      out.push(fieldError.invalid(child(pp, 'hostPort'), p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
    }
  });
  return out;
}

const standardResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

function checkResources(c: Record<string, unknown>, path: string): Errs {
  const out: Errs = [];
  const r = asObj(c.resources);
  const rp = child(path, 'resources');
  for (const list of ['requests', 'limits']) {
    for (const name of Object.keys(asObj(r[list]))) {
      if (standardResources.has(name) || name.startsWith('hugepages-')) continue;
      // Extended resources (devices) must be domain-qualified, e.g. `bramble.dev/gpio`.
      if (!name.includes('/') || labelKeyProblem(name)) {
        out.push(fieldError.invalid(key(child(rp, list), name), name, 'must be a standard resource (cpu, memory, ephemeral-storage) or a fully-qualified name such as example.com/device'));
      }
    }
  }
  const limits = asObj(r.limits);
  for (const [name, req] of Object.entries(asObj(r.requests))) {
    const lim = limits[name];
    if (lim === undefined || quantityProblem(req) || quantityProblem(lim)) continue;
    if (parseQuantity(req as string | number).value > parseQuantity(lim as string | number).value) {
      out.push(fieldError.invalid(key(child(rp, 'requests'), name), req, `must be less than or equal to ${name} limit of ${String(lim)}`));
    }
  }
  return out;
}

const handlerKinds = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function checkProbe(probe: unknown, path: string, kind: string, isInit: boolean): Errs {
  if (probe === undefined) return [];
  if (isInit) return [fieldError.forbidden(path, 'may not be set for init containers')];
  const p = asObj(probe);
  const out: Errs = [];
  const handlers = handlerKinds.filter((h) => p[h] !== undefined);
  if (handlers.length === 0) out.push(fieldError.required(path, 'must specify a handler type'));
  if (handlers.length > 1) out.push(fieldError.forbidden(child(path, handlers[1]!), 'may not specify more than 1 handler type'));
  if (p.httpGet !== undefined) out.push(...checkPortOrName(asObj(p.httpGet).port, child(child(path, 'httpGet'), 'port')));
  if (p.tcpSocket !== undefined) out.push(...checkPortOrName(asObj(p.tcpSocket).port, child(child(path, 'tcpSocket'), 'port')));
  if (p.grpc !== undefined) out.push(...checkPortNumber(asObj(p.grpc).port, child(child(path, 'grpc'), 'port')));
  if (p.exec !== undefined && asArr(asObj(p.exec).command).length === 0) out.push(fieldError.required(child(child(path, 'exec'), 'command')));
  if ((kind === 'livenessProbe' || kind === 'startupProbe') && typeof p.successThreshold === 'number' && p.successThreshold !== 1) {
    out.push(fieldError.invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  for (const f of ['periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold']) {
    if (p[f] === 0) out.push(fieldError.invalid(child(path, f), 0, 'must be greater than or equal to 1'));
  }
  return out;
}

function checkVolumeMounts(c: Record<string, unknown>, path: string, volumes: Set<string>): Errs {
  const out: Errs = [];
  const paths = new Set<string>();
  asArr(c.volumeMounts).forEach((raw, i) => {
    const m = asObj(raw);
    const mp = index(child(path, 'volumeMounts'), i);
    const name = asStr(m.name);
    if (name === '') out.push(fieldError.required(child(mp, 'name')));
    else if (name !== undefined && !volumes.has(name)) out.push(fieldError.notFound(child(mp, 'name'), name));
    const mount = asStr(m.mountPath);
    if (mount === '') out.push(fieldError.required(child(mp, 'mountPath')));
    else if (mount !== undefined) {
      if (paths.has(mount)) out.push(fieldError.invalid(child(mp, 'mountPath'), mount, 'must be unique'));
      paths.add(mount);
    }
    const sub = asStr(m.subPath);
    if (sub !== undefined && (sub.startsWith('/') || sub.split('/').includes('..'))) {
      out.push(fieldError.invalid(child(mp, 'subPath'), sub, "must be a relative path not containing '..'"));
    }
  });
  return out;
}

function checkContainer(raw: unknown, path: string, ctx: PodContext, isInit: boolean): Errs {
  const c = asObj(raw);
  const out: Errs = [];
  const name = asStr(c.name);
  if (name === '') out.push(fieldError.required(child(path, 'name')));
  else if (name !== undefined) {
    const np = dns1123LabelProblem(name);
    if (np) out.push(fieldError.invalid(child(path, 'name'), name, np));
    else if (ctx.containerNames.has(name)) out.push(fieldError.duplicate(child(path, 'name'), name));
    ctx.containerNames.add(name);
  }
  const image = c.image;
  if (image === undefined || (typeof image === 'string' && image.trim() === '')) out.push(fieldError.required(child(path, 'image')));
  out.push(...checkPorts(c, path, ctx.hostNetwork));
  out.push(...checkEnv(c, path));
  out.push(...checkResources(c, path));
  out.push(...checkVolumeMounts(c, path, ctx.volumes));
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) out.push(...checkProbe(c[probe], child(path, probe), probe, isInit));
  return out;
}

interface PodContext {
  containerNames: Set<string>;
  volumes: Set<string>;
  hostNetwork: boolean;
}

const volumeSources = ['emptyDir', 'hostPath', 'configMap', 'secret'];

function checkItems(items: unknown, path: string): Errs {
  const out: Errs = [];
  asArr(items).forEach((raw, i) => {
    const it = asObj(raw);
    const p = asStr(it.path);
    if (p !== undefined && (p === '' || p.startsWith('/') || p.split('/').includes('..'))) {
      out.push(fieldError.invalid(child(index(path, i), 'path'), p, "must be a relative path not containing '..'"));
    }
  });
  return out;
}

function checkMode(mode: unknown, path: string): Errs {
  if (typeof mode !== 'number' || (mode >= 0 && mode <= 0o777)) return [];
  return [fieldError.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

function checkVolumes(spec: Record<string, unknown>, path: string): { errors: Errs; names: Set<string> } {
  const out: Errs = [];
  const names = new Set<string>();
  asArr(spec.volumes).forEach((raw, i) => {
    const v = asObj(raw);
    const vp = index(child(path, 'volumes'), i);
    const name = asStr(v.name);
    if (name === '') out.push(fieldError.required(child(vp, 'name')));
    else if (name !== undefined) {
      const np = dns1123LabelProblem(name);
      if (np) out.push(fieldError.invalid(child(vp, 'name'), name, np));
      else if (names.has(name)) out.push(fieldError.duplicate(child(vp, 'name'), name));
      names.add(name);
    }
    const sources = volumeSources.filter((s) => v[s] !== undefined);
    if (sources.length === 0) out.push(fieldError.required(vp, 'must specify a volume type'));
    if (sources.length > 1) out.push(fieldError.forbidden(child(vp, sources[1]!), 'may not specify more than 1 volume type'));
    if (v.hostPath !== undefined && asStr(asObj(v.hostPath).path) === '') out.push(fieldError.required(child(child(vp, 'hostPath'), 'path')));
    if (v.configMap !== undefined) {
      const cm = asObj(v.configMap);
      const cp = child(vp, 'configMap');
      if (!asStr(cm.name)) out.push(fieldError.required(child(cp, 'name')));
      out.push(...checkItems(cm.items, child(cp, 'items')), ...checkMode(cm.defaultMode, child(cp, 'defaultMode')));
    }
    if (v.secret !== undefined) {
      const s = asObj(v.secret);
      const sp = child(vp, 'secret');
      if (!asStr(s.secretName)) out.push(fieldError.required(child(sp, 'secretName')));
      out.push(...checkItems(s.items, child(sp, 'items')), ...checkMode(s.defaultMode, child(sp, 'defaultMode')));
    }
  });
  return { errors: out, names };
}

const nodeSelectorOps = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

function checkNodeSelectorTerm(raw: unknown, path: string): Errs {
  const t = asObj(raw);
  const out: Errs = [];
  asArr(t.matchExpressions).forEach((r, i) => {
    const e = asObj(r);
    const p = index(child(path, 'matchExpressions'), i);
    const k = asStr(e.key);
    if (k !== undefined && labelKeyProblem(k)) out.push(fieldError.invalid(child(p, 'key'), k, labelKeyProblem(k)!));
    out.push(...checkOperatorValues(e, p, nodeSelectorOps));
  });
  asArr(t.matchFields).forEach((r, i) => {
    const e = asObj(r);
    const p = index(child(path, 'matchFields'), i);
    if (e.key !== undefined && e.key !== 'metadata.name') out.push(fieldError.notSupported(child(p, 'key'), e.key, ['metadata.name']));
    out.push(...checkOperatorValues(e, p, nodeSelectorOps));
  });
  return out;
}

function checkAffinity(spec: Record<string, unknown>, path: string): Errs {
  const na = asObj(asObj(spec.affinity).nodeAffinity);
  const ap = child(child(child(path, 'affinity'), 'nodeAffinity'), 'requiredDuringSchedulingIgnoredDuringExecution');
  const out: Errs = [];
  if (na.requiredDuringSchedulingIgnoredDuringExecution !== undefined) {
    const terms = asArr(asObj(na.requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms);
    const tp = child(ap, 'nodeSelectorTerms');
    if (terms.length === 0) out.push(fieldError.required(tp, 'must have at least one node selector term'));
    terms.forEach((t, i) => out.push(...checkNodeSelectorTerm(t, index(tp, i))));
  }
  const pp = child(child(child(path, 'affinity'), 'nodeAffinity'), 'preferredDuringSchedulingIgnoredDuringExecution');
  asArr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((raw, i) => {
    out.push(...checkNodeSelectorTerm(asObj(raw).preference, child(index(pp, i), 'preference')));
  });
  return out;
}

function checkTolerations(spec: Record<string, unknown>, path: string): Errs {
  const out: Errs = [];
  asArr(spec.tolerations).forEach((raw, i) => {
    const t = asObj(raw);
    const p = index(child(path, 'tolerations'), i);
    const k = asStr(t.key) ?? '';
    const op = asStr(t.operator) ?? 'Equal';
    if (k !== '' && labelKeyProblem(k)) out.push(fieldError.invalid(child(p, 'key'), k, labelKeyProblem(k)!));
    if (k === '' && op !== 'Exists') out.push(fieldError.invalid(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    const value = asStr(t.value) ?? '';
    if (op === 'Exists' && value !== '') out.push(fieldError.invalid(child(p, 'operator'), t.value, 'value must be empty when `operator` is \'Exists\''));
    if (op === 'Equal' && labelValueProblem(value)) out.push(fieldError.invalid(child(p, 'value'), value, labelValueProblem(value)!));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      out.push(fieldError.invalid(child(p, 'effect'), t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
  });
  return out;
}

/**
 * Semantic errors of a pod spec at `path`. `workload` is set for templates of Deployment,
 * ReplicaSet and DaemonSet, whose pods must restart Always.
 */
export function validatePodSpec(rawSpec: unknown, path: string, workload = false): FieldError[] {
  const spec = asObj(rawSpec);
  const vols = checkVolumes(spec, path);
  const ctx: PodContext = { containerNames: new Set(), volumes: vols.names, hostNetwork: spec.hostNetwork === true };
  const out: Errs = [];
  const containers = asArr(spec.containers);
  if (Array.isArray(spec.containers) && containers.length === 0) out.push(fieldError.required(child(path, 'containers')));
  containers.forEach((c, i) => out.push(...checkContainer(c, index(child(path, 'containers'), i), ctx, false)));
  asArr(spec.initContainers).forEach((c, i) => out.push(...checkContainer(c, index(child(path, 'initContainers'), i), ctx, true)));
  out.push(...vols.errors);
  out.push(...checkLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  out.push(...checkSubdomain(spec.nodeName, child(path, 'nodeName')));
  out.push(...checkSubdomain(spec.serviceAccountName, child(path, 'serviceAccountName')));
  out.push(...checkSubdomain(spec.priorityClassName, child(path, 'priorityClassName')));
  out.push(...checkLabel(spec.hostname, child(path, 'hostname')));
  out.push(...checkLabel(spec.subdomain, child(path, 'subdomain')));
  out.push(...checkAffinity(spec, path));
  out.push(...checkTolerations(spec, path));
  if (workload && spec.restartPolicy !== undefined && spec.restartPolicy !== 'Always') {
    out.push(fieldError.notSupported(child(path, 'restartPolicy'), spec.restartPolicy, ['Always']));
  }
  return out;
}
