// The infra ("pause") image, built on the node on first use: edge devices have no registry
// (or no network at all), so the image is imported from the host's static busybox binary
// (Debian package busybox-static). It only has to sleep and hold the pod's namespaces.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../../log/logger.js';
import { brambleVersion } from '../../version.js';
import { RuntimeUnavailableError } from './runtime.js';
import { chunks } from './docker-streams.js';
import { imagePresent } from './docker-images.js';
import { pauseCommand } from './docker-specs.js';
import { tarArchive } from './tar.js';

export const defaultPauseImage = `bramble/pause:${brambleVersion}`;
export const defaultBusybox = '/bin/busybox';

async function busyboxBinary(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new RuntimeUnavailableError(
      `cannot build the pod infra image: ${path} is missing (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      'install the static busybox: `sudo apt-get install busybox-static` (Debian / Raspberry Pi OS)',
    );
  }
}

export function pauseRootfs(busybox: Buffer): Buffer {
  return tarArchive([
    { type: 'dir', name: 'bin' },
    { type: 'file', name: 'bin/busybox', mode: 0o755, data: busybox },
    { type: 'symlink', name: 'bin/sleep', target: 'busybox' },
    { type: 'dir', name: 'etc' },
    { type: 'dir', name: 'proc' },
    { type: 'dir', name: 'sys' },
    { type: 'dir', name: 'dev' },
  ]);
}

/** Import the image unless it is there. Idempotent; concurrent callers should share one promise. */
export async function ensurePauseImage(docker: Docker, image: string, log: Logger, busyboxPath = defaultBusybox): Promise<void> {
  if (await imagePresent(docker, image)) return;
  const started = Date.now();
  const tar = pauseRootfs(await busyboxBinary(busyboxPath));
  const [repo, tag] = splitTag(image);
  const answer = await docker.importImage(Readable.from([tar]), {
    repo,
    tag,
    changes: [`CMD ${JSON.stringify(pauseCommand)}`, 'LABEL dev.bramble.image=pause'],
  });
  // The answer is a JSON progress stream; the import is done when it ends. Errors arrive in it.
  let last = '';
  for await (const chunk of chunks(answer)) last = chunk.toString('utf8');
  if (last.includes('"error"')) throw new Error(`importing ${image}: ${last.trim()}`);
  log.info({ image, ms: Date.now() - started }, 'built the pod infra image from busybox');
}

function splitTag(image: string): [string, string] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, 'latest'];
}
