// Runs iptables-restore, iptables-save, iptables and conntrack, optionally behind a prefix
// (`ip netns exec NS`: tests and benches program a throwaway namespace, never the host).
import { spawn } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs argv[0] with argv[1..], `input` on stdin; resolves with the exit code (rejects only if it cannot start). */
export type Runner = (argv: string[], input?: string) => Promise<RunResult>;

export function commandRunner(prefix: readonly string[] = [], timeoutMs = 30_000): Runner {
  return (argv, input) => new Promise((resolve, reject) => {
    const full = [...prefix, ...argv];
    const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? (signal ? 128 : 1) });
    });
    // EPIPE when the command exits without reading (bad flags): its exit code says more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Runs and throws with the command's stderr on a non-zero exit. */
export async function runChecked(run: Runner, argv: string[], input?: string): Promise<string> {
  const r = await run(argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** `ip netns exec NS` for a namespace name, or no prefix. */
export function netnsPrefix(netns: string | undefined): string[] {
  return netns ? ['ip', 'netns', 'exec', netns] : [];
}
