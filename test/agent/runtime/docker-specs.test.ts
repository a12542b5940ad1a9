// Pure parts of the Docker runtime, no engine needed: create options, inspect mapping, frames, tar.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bridgeGateway, containerCreateOptions, containerName, cpuShares, publishedPorts, sandboxCreateOptions, toContainerInfo } from '../../../src/agent/runtime/docker-specs.js';
import { CappedOutput, demuxFrames } from '../../../src/agent/runtime/docker-streams.js';
import type { EngineContainer } from '../../../src/agent/runtime/docker-types.js';
import { unavailableError } from '../../../src/agent/runtime/docker-types.js';
import { runtimeLabels, type ContainerConfig } from '../../../src/agent/runtime/runtime.js';
import { tarArchive } from '../../../src/agent/runtime/tar.js';

const pod = { node: 'pi-1', namespace: 'default', name: 'web', uid: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b' };
const base: ContainerConfig = { pod, name: 'nginx', image: 'nginx:1', env: { A: '1', B: 'x=y' }, mounts: [], restartCount: 3 };

describe('containerCreateOptions', () => {
  it('joins the sandbox, sets limits, mounts, labels and the unique name', () => {
    const o = containerCreateOptions('sb1', { ...base, cpuMillis: 500, memoryBytes: 64 << 20, cpuRequestMillis: 250, mounts: [{ hostPath: '/h', containerPath: '/c', readOnly: true }, { hostPath: '/w', containerPath: '/w', readOnly: false }], user: '1000', workingDir: '/app', privileged: true }, containerName(pod, 'nginx', 3));
    expect(o.name).toBe('bramble_default_web_nginx_1f2e3d4c_3');
    expect(o.Env).toEqual(['A=1', 'B=x=y']);
    expect(o.HostConfig).toMatchObject({ NetworkMode: 'container:sb1', IpcMode: 'container:sb1', Init: true, NanoCpus: 500_000_000, Memory: 64 << 20, MemorySwap: 64 << 20, CpuShares: 256, Privileged: true, Binds: ['/h:/c:ro', '/w:/w'] });
    expect(o).toMatchObject({ User: '1000', WorkingDir: '/app', Tty: false, OpenStdin: false });
    expect(o.Labels).toEqual({
      [runtimeLabels.managed]: 'true', [runtimeLabels.node]: 'pi-1', [runtimeLabels.namespace]: 'default', [runtimeLabels.pod]: 'web',
      [runtimeLabels.uid]: pod.uid, [runtimeLabels.container]: 'nginx', [runtimeLabels.restartCount]: '3',
    });
  });

  it('command → Entrypoint, args → Cmd; absent ones keep the image defaults', () => {
    expect(containerCreateOptions('s', { ...base, command: ['/bin/app'] }, 'n')).toMatchObject({ Entrypoint: ['/bin/app'] });
    expect(containerCreateOptions('s', { ...base, command: ['/bin/app'] }, 'n').Cmd).toBeUndefined();
    const argsOnly = containerCreateOptions('s', { ...base, args: ['--port', '80'] }, 'n');
    expect(argsOnly.Entrypoint).toBeUndefined();
    expect(argsOnly.Cmd).toEqual(['--port', '80']);
  });

  it('cpu shares as the kubelet computes them', () => {
    expect(cpuShares(1000)).toBe(1024);
    expect(cpuShares(1)).toBe(2);
  });
});

describe('sandboxCreateOptions', () => {
  it('publishes ports on the sandbox and keeps our labels over extra ones', () => {
    const o = sandboxCreateOptions({ pod, hostname: 'web', labels: { app: 'web', [runtimeLabels.node]: 'spoofed' }, ports: [
      { containerName: 'nginx', containerPort: 80, protocol: 'TCP', hostIP: '192.168.1.10', hostPort: 30080 },
      { containerName: 'nginx', containerPort: 53, protocol: 'UDP', hostIP: '192.168.1.10', hostPort: 0 },
    ] }, 'bramble/pause:1', 'name');
    expect(o.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(o.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostIp: '192.168.1.10', HostPort: '30080' }], '53/udp': [{ HostIp: '192.168.1.10', HostPort: '' }] });
    expect(o.Labels).toMatchObject({ app: 'web', [runtimeLabels.node]: 'pi-1', [runtimeLabels.sandbox]: 'true' });
    expect(o).toMatchObject({ Hostname: 'web', HostConfig: { Init: true, IpcMode: 'shareable' } });
  });
});

function engine(over: Partial<EngineContainer['State']>, labels: Record<string, string> = {}): EngineContainer {
  return {
    Id: 'abc', Name: '/x', Created: '2026-01-01T00:00:00Z', Image: 'sha256:1',
    Config: { Image: 'nginx:1', Labels: { [runtimeLabels.container]: 'nginx', [runtimeLabels.restartCount]: '2', ...labels }, Tty: false },
    State: { Status: 'running', Running: true, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: '2026-01-01T00:00:01Z', FinishedAt: '0001-01-01T00:00:00Z', Pid: 42, ...over },
    HostConfig: {}, NetworkSettings: { Ports: null, Networks: { bridge: { IPAddress: '172.17.0.2' } } },
  };
}

describe('toContainerInfo', () => {
  it('maps state, exit reasons and restart count', () => {
    expect(toContainerInfo(engine({}))).toMatchObject({ state: 'running', pid: 42, restartCount: 2, name: 'nginx', isSandbox: false, startedAt: '2026-01-01T00:00:01Z' });
    expect(toContainerInfo(engine({})).finishedAt).toBeUndefined();
    const exited = { Status: 'exited', Running: false, FinishedAt: '2026-01-01T00:00:02Z' };
    expect(toContainerInfo(engine({ ...exited, ExitCode: 0 }))).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed', finishedAt: '2026-01-01T00:00:02Z' });
    expect(toContainerInfo(engine({ ...exited, ExitCode: 1 }))).toMatchObject({ reason: 'Error', exitCode: 1 });
    expect(toContainerInfo(engine({ ...exited, ExitCode: 137, OOMKilled: true }))).toMatchObject({ reason: 'OOMKilled' });
    expect(toContainerInfo(engine({ Status: 'created', Running: false, ExitCode: 127, Error: 'exec: "nope": not found' }))).toMatchObject({ state: 'created', reason: 'StartError', exitCode: 127 });
    expect(toContainerInfo(engine({ ...exited })).pid).toBeUndefined();
  });

  it('reads the real host ports back, ignoring the IPv6 twin of a wildcard binding', () => {
    const c = engine({}, { 'dev.bramble.sandbox.ports': JSON.stringify([{ containerName: 'c', containerPort: 80, protocol: 'TCP', hostIP: '', hostPort: 0 }]) });
    c.NetworkSettings.Ports = { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '49153' }, { HostIp: '::', HostPort: '49153' }] };
    expect(publishedPorts(c)).toEqual([{ containerName: 'c', containerPort: 80, protocol: 'TCP', hostIP: '', hostPort: 49153 }]);
  });
});

describe('streams', () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };

  it('demuxes frames split anywhere across chunks', async () => {
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'err\n'), frame(1, 'world\n')]);
    async function* source() {
      for (let i = 0; i < all.length; i += 3) yield all.subarray(i, i + 3);
    }
    const out: Buffer[] = [];
    for await (const b of demuxFrames(source())) out.push(b);
    expect(Buffer.concat(out).toString()).toBe('hello err\nworld\n');
  });

  it('caps collected output and says so', () => {
    const o = new CappedOutput(4);
    o.push(Buffer.from('abc'));
    o.push(Buffer.from('def'));
    expect(o.text()).toBe('abcd\n[output truncated at 4 bytes]');
  });
});

describe('socket errors', () => {
  it('explains each unreachable case and ignores engine errors', () => {
    expect(unavailableError(Object.assign(new Error('x'), { code: 'EACCES' }), '/s')?.hint).toMatch(/docker group/);
    expect(unavailableError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), '/s')?.message).toMatch(/\/s refused/);
    expect(unavailableError(Object.assign(new Error('x'), { statusCode: 500 }), '/s')).toBeUndefined();
  });
});

describe('tarArchive', () => {
  it('is a ustar archive the system tar reads back', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bramble-tar-'));
    try {
      const file = path.join(dir, 'a.tar');
      writeFileSync(file, tarArchive([{ type: 'dir', name: 'bin' }, { type: 'file', name: 'bin/x', mode: 0o755, data: Buffer.alloc(700, 1) }, { type: 'symlink', name: 'bin/y', target: 'x' }]));
      const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
      expect(listing).toMatch(/drwxr-xr-x root\/root\s+0 .* bin\//);
      expect(listing).toMatch(/-rwxr-xr-x root\/root\s+700 .* bin\/x/);
      expect(listing).toMatch(/bin\/y -> x/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bridgeGateway (where pods reach their node: the userspace proxy\'s service address)', () => {
  it('takes the listed IPv4 gateway', () => {
    expect(bridgeGateway({ Config: [{ Subnet: 'fd00::/64', Gateway: 'fd00::1' }, { Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] })).toBe('172.17.0.1');
    expect(bridgeGateway({ Config: [{ Subnet: '192.168.5.0/24', Gateway: '192.168.5.254' }] })).toBe('192.168.5.254');
  });

  it('a fresh engine lists only the subnet for its default bridge: its first address', () => {
    // As `docker network inspect bridge` shows it on a new dockerd with an empty config.
    expect(bridgeGateway({ Config: [{ Subnet: '172.17.0.0/16' }] })).toBe('172.17.0.1');
    expect(bridgeGateway({ Config: [{ Subnet: '10.20.30.64/26' }] })).toBe('10.20.30.65');
  });

  it('nothing usable: undefined (the agent falls back to the node address)', () => {
    expect(bridgeGateway(undefined)).toBeUndefined();
    expect(bridgeGateway({ Config: [] })).toBeUndefined();
    expect(bridgeGateway({ Config: [{ Subnet: 'fd00::/64' }] })).toBeUndefined();
    expect(bridgeGateway({ Config: [{ Subnet: '10.0.0.1/32' }] })).toBeUndefined();
  });
});
