#!/usr/bin/env node
// Runs the whole suite with vitest and ends with the plain summary line.
// Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const args = ['run', '--reporter=default', `--reporter=${path.join(root, 'scripts', 'summary-reporter.js')}`, ...process.argv.slice(2)];
const r = spawnSync(process.execPath, [vitest, ...args], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
