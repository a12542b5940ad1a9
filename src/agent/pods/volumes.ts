// Pod volumes on the node, under <data-dir>/pods/<uid>/volumes/<kind>/<name>: emptyDir
// directories, configMap and secret files written from the bundle (items, modes), hostPath
// as given. Files are rewritten in place (a bind mount follows the directory, not a renamed copy).
import { chmod, mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigMap, Container, Pod, Secret, Volume } from '../../api/schemas.js';
import type { Mount } from '../runtime/runtime.js';
import { ContainerConfigError } from './env.js';

export function podDir(dataDir: string, uid: string): string {
  return path.join(dataDir, 'pods', uid);
}

/** Where a non-hostPath volume lives on the node. */
export function volumeDir(dataDir: string, uid: string, v: Volume): string {
  const kind = v.emptyDir ? 'empty-dir' : v.configMap ? 'configmap' : v.secret ? 'secret' : 'other';
  return path.join(podDir(dataDir, uid), 'volumes', kind, v.name);
}

/** A key's relative path must stay inside the volume (no "..", not absolute). */
function safeRelative(p: string, volume: string): string {
  const norm = path.posix.normalize(p);
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../') || norm === '.') {
    throw new ContainerConfigError(`volume "${volume}": item path "${p}" must be relative and stay inside the volume`, '');
  }
  return norm;
}

async function writeKeys(dir: string, volume: string, data: Record<string, string | Buffer>, items: { key: string; path: string; mode?: number }[] | undefined, defaultMode: number, optional: boolean): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const files = new Map<string, { content: string | Buffer; mode: number }>();
  if (items && items.length > 0) {
    for (const it of items) {
      const content = data[it.key];
      if (content === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`volume "${volume}": key "${it.key}" not found`, '');
      }
      files.set(safeRelative(it.path, volume), { content, mode: it.mode ?? defaultMode });
    }
  } else {
    for (const [k, content] of Object.entries(data)) files.set(safeRelative(k, volume), { content, mode: defaultMode });
  }
  // Remove keys that are gone (top-level entries only: nested item paths are rare and harmless).
  const wantTop = new Set([...files.keys()].map((f) => f.split('/')[0]));
  for (const entry of await readdir(dir)) if (!wantTop.has(entry)) await rm(path.join(dir, entry), { recursive: true, force: true });
  for (const [rel, f] of files) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, f.content, { mode: f.mode });
    await chmod(file, f.mode); // writeFile's mode applies only when it creates the file
  }
}

async function prepareHostPath(v: Volume): Promise<void> {
  const hp = v.hostPath!;
  if (hp.type === 'DirectoryOrCreate') await mkdir(hp.path, { recursive: true, mode: 0o755 });
  else if (hp.type === 'FileOrCreate') {
    await mkdir(path.dirname(hp.path), { recursive: true });
    await (await open(hp.path, 'a')).close();
  } else if (hp.type === 'Directory' || hp.type === 'File') {
    const st = await stat(hp.path).catch(() => undefined);
    const ok = hp.type === 'Directory' ? st?.isDirectory() : st?.isFile();
    if (!ok) throw new ContainerConfigError(`hostPath volume "${v.name}": ${hp.path} is not an existing ${hp.type === 'Directory' ? 'directory' : 'file'}`, '');
  }
}

/** Create or refresh every volume of the pod. Throws ContainerConfigError for a missing ConfigMap/Secret that is not optional. */
export async function prepareVolumes(dataDir: string, pod: Pod, configMaps: ConfigMap[], secrets: Secret[]): Promise<void> {
  const uid = pod.metadata.uid!;
  for (const v of pod.spec.volumes ?? []) {
    const dir = volumeDir(dataDir, uid, v);
    if (v.emptyDir) await mkdir(dir, { recursive: true, mode: 0o777 });
    else if (v.hostPath) await prepareHostPath(v);
    else if (v.configMap) {
      const cm = configMaps.find((c) => c.metadata.name === v.configMap!.name);
      if (!cm && !v.configMap.optional) throw new ContainerConfigError(`configmap "${v.configMap.name ?? ''}" not found (volume "${v.name}")`, '');
      const data: Record<string, string | Buffer> = { ...cm?.data };
      for (const [k, b] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(b, 'base64');
      await writeKeys(dir, v.name, data, v.configMap.items, v.configMap.defaultMode ?? 0o644, v.configMap.optional ?? false);
    } else if (v.secret) {
      const s = secrets.find((x) => x.metadata.name === v.secret!.secretName);
      if (!s && !v.secret.optional) throw new ContainerConfigError(`secret "${v.secret.secretName ?? ''}" not found (volume "${v.name}")`, '');
      const data: Record<string, string | Buffer> = {};
      for (const [k, b] of Object.entries(s?.data ?? {})) data[k] = Buffer.from(b, 'base64');
      for (const [k, t] of Object.entries(s?.stringData ?? {})) data[k] = t;
      await writeKeys(dir, v.name, data, v.secret.items, v.secret.defaultMode ?? 0o644, v.secret.optional ?? false);
    }
  }
}

/** The container's mounts: host paths for its volumeMounts (subPath appended). */
export function containerMounts(dataDir: string, pod: Pod, c: Container): Mount[] {
  const uid = pod.metadata.uid!;
  return (c.volumeMounts ?? []).map((m) => {
    const v = (pod.spec.volumes ?? []).find((x) => x.name === m.name);
    if (!v) throw new ContainerConfigError(`volumeMount "${m.name}" names no volume of the pod`, c.name);
    const base = v.hostPath ? v.hostPath.path : volumeDir(dataDir, uid, v);
    const hostPath = m.subPath ? path.join(base, safeRelative(m.subPath, v.name)) : base;
    // configMap and secret volumes are read-only in Kubernetes whatever the mount says.
    const readOnly = m.readOnly ?? false;
    return { hostPath, containerPath: m.mountPath, readOnly: readOnly || Boolean(v.configMap || v.secret) };
  });
}

/** Remove everything the agent wrote for a pod (never hostPath contents: they are outside). */
export async function removePodDir(dataDir: string, uid: string): Promise<void> {
  await rm(podDir(dataDir, uid), { recursive: true, force: true });
}

