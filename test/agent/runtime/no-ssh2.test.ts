// The agent keeps ssh2 out of memory (docker-modem requires it eagerly); an ssh:// Docker host fails clearly.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ssh2Unsupported, stubSsh2 } from '../../../src/agent/runtime/no-ssh2.js';

describe('no-ssh2', () => {
  it('gives dockerode a stand-in for ssh2 that refuses ssh:// hosts', async () => {
    stubSsh2();
    const require = createRequire(import.meta.url);
    const Docker = require('dockerode') as typeof import('dockerode');
    const loaded = Object.keys(require.cache).filter((k) => k.includes('/node_modules/ssh2/'));
    expect(loaded).toHaveLength(1); // only the stand-in, none of ssh2's own files
    const docker = new Docker({ protocol: 'ssh', host: 'pi.local', port: 22 });
    await expect(docker.ping()).rejects.toThrow(ssh2Unsupported);
  });
});
