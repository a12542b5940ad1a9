// The agent's stand-in for systeminformation's index (src/agent/lean-sysinfo.ts): the functions
// the agent calls work and load only their modules; anything else still works.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('keepSystemInformationLean', () => {
  it('loads only the modules the agent uses, and the rest on demand', () => {
    // A fresh process: systeminformation must not be loaded yet.
    const script = `
      const { keepSystemInformationLean } = await import(${JSON.stringify(path.resolve('src/agent/lean-sysinfo.ts'))});
      const stubbed = keepSystemInformationLean();
      const si = (await import('systeminformation')).default;
      // Returned from an async function, as sysinfo.ts does: a 'then' lookup must not load the real index.
      await (async () => si)();
      const [os, cpu, mem, uuid, load, temp] = await Promise.all([si.osInfo(), si.cpu(), si.mem(), si.uuid(), si.currentLoad(), si.cpuTemperature()]);
      const { createRequire } = await import('node:module');
      const mods = () => Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/systeminformation/lib/')).map((f) => f.split('/').pop()).sort();
      const lean = mods();
      const version = si.version();
      console.log(JSON.stringify({ stubbed, platform: os.platform, cores: cpu.cores > 0, mem: mem.total > 0, uuid: typeof uuid.os, load: typeof load.currentLoad, temp: 'main' in temp, lean, version: typeof version, full: mods().length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toMatchObject({ stubbed: true, platform: process.platform, cores: true, mem: true, uuid: 'string', load: 'number', temp: true, version: 'string' });
    // index.js is the stand-in; network.js is what uuid() asks for on Linux.
    expect(out.lean).toEqual(expect.arrayContaining(['cpu.js', 'index.js', 'memory.js', 'osinfo.js', 'util.js']));
    expect((out.lean as string[]).length).toBeLessThanOrEqual(7);
    expect(out.full).toBeGreaterThan(20);
  });
});
