// The agent's real status source (src/agent/status/sysinfo.ts): it works, and loads only the
// systeminformation modules it calls, not the package's index (which requires all 22).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('SystemInfoSource', () => {
  it('reports facts and samples, loading only the modules the agent uses', () => {
    // A fresh process: systeminformation must not be loaded yet.
    const script = `
      const { SystemInfoSource } = await import(${JSON.stringify(path.resolve('src/agent/status/sysinfo.ts'))});
      const source = new SystemInfoSource(process.cwd());
      const [facts, sample] = [await source.facts(), await source.sample()];
      const { createRequire } = await import('node:module');
      const lean = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/systeminformation/lib/')).map((f) => f.split('/').pop()).sort();
      console.log(JSON.stringify({ os: facts.operatingSystem, cores: facts.cpus > 0, mem: facts.memoryBytes > 0, uuid: 'systemUUID' in facts, memUsed: sample.memoryUsedBytes > 0, lean }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toMatchObject({ os: process.platform, cores: true, mem: true, uuid: true, memUsed: true });
    // network.js is what uuid() asks for on Linux.
    expect(out.lean).toEqual(expect.arrayContaining(['cpu.js', 'memory.js', 'osinfo.js', 'util.js']));
    expect(out.lean).not.toContain('index.js');
    expect((out.lean as string[]).length).toBeLessThanOrEqual(7);
  });
});
