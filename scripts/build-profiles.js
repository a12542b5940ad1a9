#!/usr/bin/env node
// `npm run build` (after tsc): compiles hardware-profiles/*.yaml into hardware-profiles/profiles.json,
// which the agent reads instead of loading the yaml parser (src/agent/hardware.ts says why and when
// it still parses the YAML). The JSON is committed too, so a checkout works before a build;
// test/agent/hardware-json.test.ts fails when it no longer matches the YAML.
//   node scripts/build-profiles.js [--check]   (--check: exit 1 if the file is out of date, write nothing)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { compileProfiles, compiledProfilesFile, formatCompiledProfiles } = await import(path.join(root, 'dist', 'agent', 'hardware.js'));
const dir = path.join(root, 'hardware-profiles');
const file = path.join(dir, compiledProfilesFile);
const text = formatCompiledProfiles(await compileProfiles(dir));
let old = '';
try { old = readFileSync(file, 'utf8'); } catch { /* first build */ }
if (process.argv.includes('--check')) {
  if (old !== text) {
    console.error(`${path.relative(root, file)} is out of date: run npm run build`);
    process.exit(1);
  }
} else if (old !== text) {
  writeFileSync(file, text);
  console.error(`wrote ${path.relative(root, file)}`);
}
