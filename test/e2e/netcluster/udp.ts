// The UDP echo tool of the multi-node tests (udp-echo.c), compiled statically with the host's
// C compiler into a run's directory, where pods mount it (hostPath: the workers' engines share
// the host's filesystem) and the test runs it from any namespace.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { must } from './sys.js';

const source = path.join(path.dirname(fileURLToPath(import.meta.url)), 'udp-echo.c');

/** Compile udp-echo into `dir` (once) and return its path. */
export async function buildUdpEcho(dir: string): Promise<string> {
  const out = path.join(dir, 'udp-echo');
  if (!existsSync(out)) await must('cc', ['-static', '-O2', '-Wall', '-o', out, source], { timeoutMs: 60_000 });
  return out;
}
