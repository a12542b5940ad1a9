// hardware-profiles/profiles.json (compiled from the YAML by `npm run build`): it must match the
// YAML, and the agent must use it only while it does.
import { execFileSync } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileProfiles, compiledProfilesFile, defaultProfilesDir, formatCompiledProfiles, HardwareProfileError, loadProfiles, type CompiledProfiles } from '../../src/agent/hardware.js';
import { tempDir } from './helpers.js';

/** A copy of hardware-profiles/ whose profiles.json renames every profile, to see which one was read. */
async function markedCopy(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  await cp(defaultProfilesDir(), t.dir, { recursive: true });
  const file = path.join(t.dir, compiledProfilesFile);
  const c = JSON.parse(await readFile(file, 'utf8')) as CompiledProfiles;
  for (const p of c.profiles) p.name = `json: ${p.name}`;
  await writeFile(file, formatCompiledProfiles(c));
  return t;
}

describe('compiled hardware profiles', () => {
  it('profiles.json is up to date with the YAML (else: npm run build, and commit it)', async () => {
    const dir = defaultProfilesDir();
    const committed = await readFile(path.join(dir, compiledProfilesFile), 'utf8');
    expect(committed).toBe(formatCompiledProfiles(await compileProfiles(dir)));
  });

  it('reads profiles.json while it matches the YAML files', async () => {
    const { dir, cleanup } = await markedCopy();
    try {
      const profiles = await loadProfiles(dir);
      expect(profiles.length).toBe(7);
      expect(profiles.every((p) => p.name.startsWith('json: '))).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it.each([
    ['a YAML file was edited', async (dir: string) => {
      const f = path.join(dir, 'raspberry-pi-4b.yaml');
      await writeFile(f, (await readFile(f, 'utf8')).replace('cpus: 4', 'cpus: 4 # edited'));
    }],
    ['a YAML file was added', async (dir: string) => {
      await writeFile(path.join(dir, 'my-board.yaml'), (await readFile(path.join(dir, 'generic-arm64.yaml'), 'utf8')).replace(/^id: .*$/m, 'id: my-board').replace(/^generic: true$/m, 'generic: false'));
    }],
    ['a YAML file was removed', async (dir: string) => { await rm(path.join(dir, 'raspberry-pi-5.yaml')); }],
    ['there is no profiles.json', async (dir: string) => { await rm(path.join(dir, compiledProfilesFile)); }],
    ['profiles.json is not JSON', async (dir: string) => { await writeFile(path.join(dir, compiledProfilesFile), '{'); }],
  ])('parses the YAML when %s', async (_what, change) => {
    const { dir, cleanup } = await markedCopy();
    try {
      await change(dir);
      const profiles = await loadProfiles(dir);
      expect(profiles.some((p) => p.name.startsWith('json: '))).toBe(false);
      expect(profiles.length).toBeGreaterThan(5);
    } finally {
      await cleanup();
    }
  });

  it('checks the profiles in profiles.json like the YAML ones', async () => {
    const { dir, cleanup } = await markedCopy();
    try {
      const file = path.join(dir, compiledProfilesFile);
      const c = JSON.parse(await readFile(file, 'utf8')) as CompiledProfiles;
      (c.profiles[0] as unknown as Record<string, unknown>).cpus = 0;
      await writeFile(file, formatCompiledProfiles(c));
      await expect(loadProfiles(dir)).rejects.toThrow(HardwareProfileError);
      await expect(loadProfiles(dir)).rejects.toThrow(/profiles\.json: invalid profile at \/cpus/);
    } finally {
      await cleanup();
    }
  });

  it('does not load the yaml package for the shipped profiles', () => {
    const script = `
      const { loadProfiles } = await import(${JSON.stringify(path.resolve('src/agent/hardware.ts'))});
      const n = (await loadProfiles()).length;
      const { createRequire } = await import('node:module');
      const yaml = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/node_modules/yaml/'));
      console.log(JSON.stringify({ n, yaml: yaml.length }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ n: 7, yaml: 0 });
  });
});
