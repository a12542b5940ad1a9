// NodeResourcesFit (filter): the pod's requests must fit in the node's allocatable minus the
// requests of the pods already there, for cpu, memory, pod slots and every extended resource
// (`bramble.dev/gpio`, `bramble.dev/camera`, ... which agents report from hardware profiles).
import { fits, type FilterPlugin, type FilterResult, type NodeInfo, type PodInfo } from '../types.js';

/** Kubernetes' reasons, one per resource that does not fit (a node may fail several). */
export function insufficientResources(pod: PodInfo, ni: NodeInfo): string[] {
  const out: string[] = [];
  const req = pod.requests;
  const used = ni.requested;
  const alloc = ni.allocatable;
  if (used.pods + 1 > alloc.pods) out.push('Too many pods');
  if (req.cpu > 0 && used.cpu + req.cpu > alloc.cpu) out.push('Insufficient cpu');
  if (req.memory > 0 && used.memory + req.memory > alloc.memory) out.push('Insufficient memory');
  for (const [name, want] of Object.entries(req.scalar)) {
    if (want > 0 && (used.scalar[name] ?? 0) + want > (alloc.scalar[name] ?? 0)) out.push(`Insufficient ${name}`);
  }
  return out;
}

/** The same test without building the reasons: most nodes fit, and this runs per node per pod. */
function fitsAll(pod: PodInfo, ni: NodeInfo): boolean {
  const req = pod.requests;
  const used = ni.requested;
  const alloc = ni.allocatable;
  if (used.pods + 1 > alloc.pods) return false;
  if (req.cpu > 0 && used.cpu + req.cpu > alloc.cpu) return false;
  if (req.memory > 0 && used.memory + req.memory > alloc.memory) return false;
  for (const name in req.scalar) {
    const want = req.scalar[name]!;
    if (want > 0 && (used.scalar[name] ?? 0) + want > (alloc.scalar[name] ?? 0)) return false;
  }
  return true;
}

export const resourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter: (pod, ni): FilterResult => (fitsAll(pod, ni) ? fits : { ok: false, reasons: insufficientResources(pod, ni) }),
};
