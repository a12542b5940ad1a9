// What a node needs to run a pod without asking the API: the pod plus every ConfigMap and
// Secret it references (volumes, env valueFrom, envFrom). Missing (optional) ones are left out.
import type { KObject } from '../api/types.js';
import type { PodBundle } from '../protocol/messages.js';

interface Refs { configMaps: Set<string>; secrets: Set<string> }

interface ContainerLike {
  env?: { valueFrom?: { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } } }[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
}
interface PodSpecLike {
  nodeName?: string;
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: { configMap?: { name?: string }; secret?: { secretName?: string } }[];
}

export function podSpec(pod: KObject): PodSpecLike {
  return (pod.spec ?? {}) as PodSpecLike;
}

export function nodeOf(pod: KObject): string | undefined {
  const n = podSpec(pod).nodeName;
  return n === undefined || n === '' ? undefined : n;
}

/** Names of the ConfigMaps and Secrets (in the pod's namespace) a pod uses. */
export function podReferences(pod: KObject): Refs {
  const refs: Refs = { configMaps: new Set(), secrets: new Set() };
  const add = (set: Set<string>, name: string | undefined): void => { if (name) set.add(name); };
  const spec = podSpec(pod);
  for (const v of spec.volumes ?? []) {
    add(refs.configMaps, v.configMap?.name);
    add(refs.secrets, v.secret?.secretName);
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add(refs.configMaps, e.valueFrom?.configMapKeyRef?.name);
      add(refs.secrets, e.valueFrom?.secretKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add(refs.configMaps, e.configMapRef?.name);
      add(refs.secrets, e.secretRef?.name);
    }
  }
  return refs;
}

export function usesObject(pod: KObject, kind: 'ConfigMap' | 'Secret', name: string): boolean {
  const refs = podReferences(pod);
  return (kind === 'ConfigMap' ? refs.configMaps : refs.secrets).has(name);
}

export interface BundleSources {
  configMaps: ReadonlyMap<string, KObject>;
  secrets: ReadonlyMap<string, KObject>;
}

/** The bundle and its revision: the highest resourceVersion among its parts, so any change raises it. */
export function buildBundle(pod: KObject, src: BundleSources): { bundle: PodBundle; revision: number } {
  const ns = pod.metadata.namespace ?? '';
  const refs = podReferences(pod);
  const pick = (m: ReadonlyMap<string, KObject>, names: Set<string>): KObject[] =>
    [...names].sort().map((n) => m.get(`${ns}/${n}`)).filter((o): o is KObject => o !== undefined);
  const configMaps = pick(src.configMaps, refs.configMaps);
  const secrets = pick(src.secrets, refs.secrets);
  const revision = Math.max(...[pod, ...configMaps, ...secrets].map((o) => Number(o.metadata.resourceVersion ?? 0)));
  return { bundle: { pod, configMaps, secrets } as unknown as PodBundle, revision };
}

/**
 * What the node acts on: the bundle without status and resourceVersions. Pod status writes
 * (from the node itself) change the pod's resourceVersion but must not echo back as upserts.
 * The spec is kept by reference: the store shares an unchanged spec between a pod's versions,
 * so the common case (a status write) compares it without serializing it.
 */
export interface BundleMark {
  spec: unknown;
  /** The pod's metadata without resourceVersion, and the ConfigMaps and Secrets likewise, as JSON. */
  rest: string;
}

function strip(o: { metadata: object }): unknown {
  const { resourceVersion: _rv, ...meta } = o.metadata as { resourceVersion?: string };
  const { status: _s, spec: _spec, ...rest } = o as { status?: unknown; spec?: unknown };
  return { ...rest, metadata: meta };
}

export function bundleMark(b: PodBundle): BundleMark {
  return { spec: (b.pod as { spec?: unknown }).spec, rest: JSON.stringify([strip(b.pod), b.configMaps.map(strip), b.secrets.map(strip)]) };
}

export function sameBundle(a: BundleMark | undefined, b: BundleMark): boolean {
  return a !== undefined && a.rest === b.rest && (a.spec === b.spec || JSON.stringify(a.spec) === JSON.stringify(b.spec));
}
