// Container environment as Kubernetes builds it: envFrom first (in order), then env (later
// entries win), with values from ConfigMaps/Secrets in the bundle, the downward API (fieldRef,
// resourceFieldRef) and `$(VAR)` references to variables defined before.
import type { Container, ConfigMap, Pod, Secret } from '../../api/schemas.js';
import { cpuMillis, memoryBytes, parseQuantity } from '../../api/quantity.js';

/** A container cannot be configured (a missing key or object that is not optional): CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  constructor(message: string, readonly container: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export interface EnvContext {
  pod: Pod;
  configMaps: ConfigMap[];
  secrets: Secret[];
  nodeName: string;
  podIP: string;
  hostIP: string;
  /** Node allocatable, for resourceFieldRef of a container without limits. */
  nodeCpuMillis: number;
  nodeMemoryBytes: number;
  /** Kubernetes service variables: the base that envFrom and env override, and `$(VAR)` may name. */
  serviceEnv?: Record<string, string>;
}

export function configMapData(cm: ConfigMap): Record<string, string> {
  const out: Record<string, string> = { ...cm.data };
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** Secret values decoded (`data` is base64; `stringData`, if the master left it, is plain). */
export function secretData(s: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

/**
 * `$(VAR)` → the value of VAR when defined, `$$(VAR)` → the literal `$(VAR)`, anything else unchanged
 * (the rules of k8s.io/kubernetes/third_party/forked/golang/expansion).
 */
export function expand(input: string, vars: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = vars(name);
      out += v ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

function lookup<T extends { metadata: { name?: string } }>(list: T[], name: string | undefined): T | undefined {
  return list.find((o) => o.metadata.name === name);
}

function fieldValue(path: string, ctx: EnvContext, container: string): string {
  const m = ctx.pod.metadata;
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) return (label[1] === 'labels' ? m.labels : m.annotations)?.[label[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return m.name ?? '';
    case 'metadata.namespace': return m.namespace ?? 'default';
    case 'metadata.uid': return m.uid ?? '';
    case 'spec.nodeName': return ctx.pod.spec.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName': return ctx.pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP': return ctx.podIP;
    case 'status.hostIP': return ctx.hostIP;
    default: throw new ContainerConfigError(`unsupported fieldRef.fieldPath "${path}"`, container);
  }
}

function resourceValue(ref: { containerName?: string; resource: string; divisor?: string | number }, c: Container, ctx: EnvContext): string {
  const target = ref.containerName ? [...ctx.pod.spec.containers, ...(ctx.pod.spec.initContainers ?? [])].find((x) => x.name === ref.containerName) ?? c : c;
  const [kind, res] = ref.resource.split('.');
  const list = kind === 'limits' ? target.resources?.limits : target.resources?.requests;
  const q = list?.[res ?? ''];
  if (res === 'cpu') {
    const millis = q !== undefined ? cpuMillis(q) : kind === 'limits' ? ctx.nodeCpuMillis : 0;
    const div = ref.divisor !== undefined ? cpuMillis(ref.divisor) : 1000;
    return String(Math.ceil(millis / div));
  }
  if (res === 'memory' || res === 'ephemeral-storage') {
    const bytes = q !== undefined ? memoryBytes(q) : kind === 'limits' && res === 'memory' ? ctx.nodeMemoryBytes : 0;
    const div = ref.divisor !== undefined ? parseQuantity(ref.divisor).value : 1;
    return String(Math.ceil(bytes / div));
  }
  throw new ContainerConfigError(`unsupported resourceFieldRef.resource "${ref.resource}"`, c.name);
}

function keyRefValue(
  kind: 'configmap' | 'secret', ref: { name?: string; key: string; optional?: boolean }, ctx: EnvContext, container: string,
): string | undefined {
  const obj = kind === 'configmap' ? lookup(ctx.configMaps, ref.name) : lookup(ctx.secrets, ref.name);
  const what = kind === 'configmap' ? 'configmap' : 'secret';
  if (!obj) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${what} "${ref.name ?? ''}" not found`, container);
  }
  const data = kind === 'configmap' ? configMapData(obj as ConfigMap) : secretData(obj as Secret);
  const v = data[ref.key];
  if (v === undefined && !ref.optional) throw new ContainerConfigError(`couldn't find key ${ref.key} in ${what} ${ctx.pod.metadata.namespace ?? 'default'}/${ref.name ?? ''}`, container);
  return v;
}

/** The container's environment, in Kubernetes' order and with its expansion rules. */
export function resolveEnv(c: Container, ctx: EnvContext): Record<string, string> {
  const env: Record<string, string> = { ...ctx.serviceEnv };
  for (const src of c.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    const ref = src.configMapRef ?? src.secretRef;
    const isCm = src.configMapRef !== undefined;
    if (!ref) continue;
    const obj = isCm ? lookup(ctx.configMaps, ref.name) : lookup(ctx.secrets, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${isCm ? 'configmap' : 'secret'} "${ref.name ?? ''}" not found`, c.name);
    }
    const data = isCm ? configMapData(obj as ConfigMap) : secretData(obj as Secret);
    for (const [k, v] of Object.entries(data)) env[`${prefix}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    let v: string | undefined;
    if (from?.configMapKeyRef) v = keyRefValue('configmap', from.configMapKeyRef, ctx, c.name);
    else if (from?.secretKeyRef) v = keyRefValue('secret', from.secretKeyRef, ctx, c.name);
    else if (from?.fieldRef) v = fieldValue(from.fieldRef.fieldPath, ctx, c.name);
    else if (from?.resourceFieldRef) v = resourceValue(from.resourceFieldRef, c, ctx);
    else v = expand(e.value ?? '', (name) => env[name]);
    if (v !== undefined) env[e.name] = v;
  }
  return env;
}

/** command and args with `$(VAR)` expanded from the container's environment. */
export function expandArgs(list: string[] | undefined, env: Record<string, string>): string[] | undefined {
  return list?.map((a) => expand(a, (n) => env[n]));
}
