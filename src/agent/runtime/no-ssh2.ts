// Keeps ssh2 out of the agent: imported by docker.ts *before* dockerode.
//
// docker-modem's lib/modem.js eagerly `require('./ssh')`, which requires `ssh2` (and its crypto,
// protocol tables, optional native bindings): ~8 MB of RSS on a device that only ever talks to a
// local unix socket. We put a tiny stand-in for `ssh2` into the CommonJS require cache, so that
// require returns it instead of loading the real package. If an ssh:// Docker host were ever used,
// creating the SSH client throws a clear error instead of failing somewhere obscure.
import { createRequire, Module } from 'node:module';

export const ssh2Unsupported = 'the Bramble agent talks to Docker over a unix socket (--docker-socket); ssh:// Docker hosts are not supported (ssh2 is not loaded)';

/** docker-modem only calls `new Client()` for an ssh:// host. */
function UnsupportedSshClient(): never {
  throw new Error(ssh2Unsupported);
}

/** Registers the stand-in unless ssh2 is already loaded; returns whether it did. */
export function stubSsh2(): boolean {
  let file: string;
  try {
    // Resolve ssh2 exactly as docker-modem does (dockerode → docker-modem → ssh2).
    const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
    file = createRequire(fromDockerode.resolve('docker-modem')).resolve('ssh2');
  } catch {
    return false; // not installed where docker-modem looks: nothing to keep out
  }
  const cache = createRequire(import.meta.url).cache;
  if (cache[file]) return false;
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = { Client: UnsupportedSshClient };
  cache[file] = stub;
  return true;
}

stubSsh2();
