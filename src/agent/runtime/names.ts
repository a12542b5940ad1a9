// Engine-side names of a pod's containers (shared by the Docker and fake runtimes), e.g.
// bramble_default_web_nginx_1f2e3d4c_0. A restarted container is a new container, so the restart
// count is part of the name; a pod may get a new sandbox, so sandbox names carry a suffix.
import type { PodRef } from './runtime.js';

/** Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; Kubernetes names already fit, but be safe. */
function namePart(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

export function containerName(pod: PodRef, container: string, restartCount: number): string {
  return ['bramble', pod.namespace, pod.name, container, pod.uid.slice(0, 8), String(restartCount)].map(namePart).join('_');
}

export function sandboxName(pod: PodRef, suffix: string): string {
  return ['bramble', pod.namespace, pod.name, 'POD', pod.uid.slice(0, 8), suffix].map(namePart).join('_');
}
