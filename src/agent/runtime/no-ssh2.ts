// Keeps ssh2 and dockerode's BuildKit session code out of the agent: imported by docker.ts
// *before* dockerode.
//
// - docker-modem's lib/modem.js eagerly `require('./ssh')`, which requires `ssh2` (and its crypto,
//   protocol tables, optional native bindings): ~8 MB of RSS on a device that only ever talks to a
//   local unix socket.
// - dockerode's lib/docker.js eagerly requires lib/session.js (BuildKit sessions for
//   `buildImage({ version: '2' })`), which loads @grpc/grpc-js, @grpc/proto-loader and protobufjs
//   (~100 modules, ~6 MB). The agent never builds images.
//
// We put tiny stand-ins into the CommonJS require cache, so that those requires return them
// instead of loading the real files. If an ssh:// Docker host or a BuildKit build were ever
// used, the stand-in throws a clear error instead of failing somewhere obscure.
import { createRequire, Module } from 'node:module';

export const ssh2Unsupported = 'the Bramble agent talks to Docker over a unix socket (--docker-socket); ssh:// Docker hosts are not supported (ssh2 is not loaded)';
export const buildkitUnsupported = 'the Bramble agent does not build images: BuildKit sessions are not loaded';

/** docker-modem only calls `new Client()` for an ssh:// host. */
function UnsupportedSshClient(): never {
  throw new Error(ssh2Unsupported);
}

/** dockerode's `withSession(docker, auth, handler)`: the handler gets the error. */
function unsupportedSession(_docker: unknown, _auth: unknown, handler: (err: Error, sessionId: null, done: () => void) => void): void {
  handler(new Error(buildkitUnsupported), null, () => undefined);
}

function stub(cache: NodeJS.Require['cache'], file: string, exports: unknown): boolean {
  if (cache[file]) return false;
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  cache[file] = m;
  return true;
}

/** Registers the stand-in for ssh2 unless ssh2 is already loaded; returns whether it did. */
export function stubSsh2(): boolean {
  let file: string;
  try {
    // Resolve ssh2 exactly as docker-modem does (dockerode → docker-modem → ssh2).
    const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
    file = createRequire(fromDockerode.resolve('docker-modem')).resolve('ssh2');
  } catch {
    return false; // not installed where docker-modem looks: nothing to keep out
  }
  return stub(createRequire(import.meta.url).cache, file, { Client: UnsupportedSshClient });
}

/** Registers the stand-in for dockerode's lib/session.js unless it is loaded; returns whether it did. */
export function stubBuildkitSession(): boolean {
  let file: string;
  try {
    file = createRequire(createRequire(import.meta.url).resolve('dockerode')).resolve('./session');
  } catch {
    return false; // another dockerode layout: nothing to replace
  }
  return stub(createRequire(import.meta.url).cache, file, unsupportedSession);
}

stubSsh2();
stubBuildkitSession();
