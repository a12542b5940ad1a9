// The agent keeps ssh2 and dockerode's BuildKit session code (gRPC, protobufjs) out of memory
// (both are required eagerly); an ssh:// Docker host or a BuildKit build fails clearly.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildkitUnsupported, ssh2Unsupported, stubBuildkitSession, stubSsh2 } from '../../../src/agent/runtime/no-ssh2.js';

describe('no-ssh2', () => {
  it('gives dockerode stand-ins for ssh2 and BuildKit sessions that refuse to be used', async () => {
    stubSsh2();
    stubBuildkitSession();
    const require = createRequire(import.meta.url);
    const Docker = require('dockerode') as typeof import('dockerode');
    const loaded = Object.keys(require.cache);
    expect(loaded.filter((k) => k.includes('/node_modules/ssh2/'))).toHaveLength(1); // only the stand-in, none of ssh2's own files
    expect(loaded.filter((k) => /\/node_modules\/(@grpc|protobufjs)\//.test(k))).toEqual([]);
    const docker = new Docker({ protocol: 'ssh', host: 'pi.local', port: 22 });
    await expect(docker.ping()).rejects.toThrow(ssh2Unsupported);
    const local = new Docker({ socketPath: '/nonexistent/docker.sock' });
    await expect(local.buildImage({ context: '.', src: [] }, { version: '2' })).rejects.toThrow(buildkitUnsupported);
  });
});
