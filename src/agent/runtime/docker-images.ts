// Image pull policies on a Docker Engine.
//
// Always on an edge device: devices are often offline, so when the pull fails but the image
// is already on the node, the local copy is used (and reported through onProgress and the
// log) instead of failing the pod. Kubernetes would fail; for a fleet of Pis on flaky Wi-Fi a
// running last-known image is the better outcome. Without a local copy the pull error stands.
import type Docker from 'dockerode';
import type { Logger } from '../../log/logger.js';
import { ImageNotFoundError, type ImagePullPolicy, type PullProgress } from './runtime.js';
import { engineMessage, statusCode } from './docker-types.js';

interface PullEvent {
  status?: string;
  id?: string;
  error?: string;
  progressDetail?: { current?: number; total?: number };
}

export async function imagePresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

/** Pull, reporting progress summed over layers. Rejects with the engine's message. */
export async function pullImage(docker: Docker, image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
  const stream = await docker.pull(image);
  const layers = new Map<string, { current: number; total: number }>();
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (ev: PullEvent) => {
        if (ev.error) return; // followProgress reports it to onFinished as well
        if (ev.id && ev.progressDetail?.total) layers.set(ev.id, { current: ev.progressDetail.current ?? 0, total: ev.progressDetail.total });
        let current = 0;
        let total = 0;
        for (const l of layers.values()) {
          current += l.current;
          total += l.total;
        }
        onProgress?.({ image, status: ev.id ? `${ev.id}: ${ev.status ?? ''}` : (ev.status ?? ''), ...(total > 0 ? { current, total } : {}) });
      },
    );
  });
}

export async function ensureImage(
  docker: Docker,
  log: Logger,
  image: string,
  policy: ImagePullPolicy,
  onProgress?: (p: PullProgress) => void,
): Promise<void> {
  const local = await imagePresent(docker, image);
  if (policy === 'Never') {
    if (!local) throw new ImageNotFoundError(image, 'not present on the node and imagePullPolicy is Never');
    return;
  }
  if (policy === 'IfNotPresent' && local) return;
  try {
    await pullImage(docker, image, onProgress);
  } catch (err) {
    const why = engineMessage(err);
    if (!local) throw new ImageNotFoundError(image, `pull failed: ${why}`);
    log.warn({ image, err: why }, 'pull failed (registry unreachable?); using the image already on the node');
    onProgress?.({ image, status: `pull failed (${why}); using the local image` });
  }
}
