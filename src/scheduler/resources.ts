// Resource arithmetic: what a pod requests and what a node can give, as plain numbers
// (cpu in millicores, memory and storage in bytes, pods and extended resources as counts).
import { cpuMillis, memoryBytes, parseQuantity } from '../api/quantity.js';
import type { Container, Pod } from '../api/schemas.js';

export interface Resources {
  cpu: number;
  memory: number;
  pods: number;
  /** Everything else: `ephemeral-storage`, `bramble.dev/gpio`, `bramble.dev/camera`, ... */
  scalar: Record<string, number>;
}

type QuantityList = Record<string, string | number> | undefined;

/**
 * Kubernetes' default requests for a container that names none, used by the scores only (so
 * that ten pods without requests do not all look free). Smaller than Kubernetes' 100m/200Mi
 * because a Pi Zero 2 W has 512 MiB in all.
 */
export const defaultCpuRequest = 100;
export const defaultMemoryRequest = 64 * 2 ** 20;

export function emptyResources(): Resources {
  return { cpu: 0, memory: 0, pods: 0, scalar: {} };
}

/** One quantity in the unit the scheduler counts it in; an unparsable one counts as 0 (validation rejects those). */
function amount(name: string, q: string | number): number {
  try {
    if (name === 'cpu') return cpuMillis(q);
    if (name === 'memory' || name === 'ephemeral-storage') return memoryBytes(q);
    return parseQuantity(q).value;
  } catch {
    return 0;
  }
}

export function resourcesFromList(list: QuantityList): Resources {
  const r = emptyResources();
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = amount(name, q);
    if (name === 'cpu') r.cpu = v;
    else if (name === 'memory') r.memory = v;
    else if (name === 'pods') r.pods = v;
    else r.scalar[name] = v;
  }
  return r;
}

/** A container's requests; a limit without a request is the request (Kubernetes' defaulting). */
function containerRequests(c: Container): Resources {
  const res = c.resources;
  return resourcesFromList({ ...(res?.limits ?? {}), ...(res?.requests ?? {}) });
}

export function addResources(a: Resources, b: Resources, sign = 1): Resources {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = (scalar[k] ?? 0) + sign * v;
  return { cpu: a.cpu + sign * b.cpu, memory: a.memory + sign * b.memory, pods: a.pods + sign * b.pods, scalar };
}

function maxResources(a: Resources, b: Resources): Resources {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = Math.max(scalar[k] ?? 0, v);
  return { cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory), pods: Math.max(a.pods, b.pods), scalar };
}

/**
 * What a pod needs on its node, by Kubernetes' rule: init containers run one at a time before
 * the app containers, so the pod needs the larger of (the biggest init container) and (the sum
 * of the app containers). Plus one of the node's pod slots.
 */
export function podRequests(pod: Pod): Resources {
  let apps = emptyResources();
  for (const c of pod.spec.containers) apps = addResources(apps, containerRequests(c));
  let init = emptyResources();
  for (const c of pod.spec.initContainers ?? []) init = maxResources(init, containerRequests(c));
  return { ...maxResources(apps, init), pods: 1 };
}

/** cpu and memory with the defaults above for containers that request nothing (for scoring). */
export function nonZeroRequests(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec.containers) {
    const r = containerRequests(c);
    cpu += r.cpu > 0 ? r.cpu : defaultCpuRequest;
    memory += r.memory > 0 ? r.memory : defaultMemoryRequest;
  }
  const init = podRequests(pod);
  return { cpu: Math.max(cpu, init.cpu), memory: Math.max(memory, init.memory) };
}
