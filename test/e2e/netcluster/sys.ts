// Small system helpers for the multi-node harness: run a command (sync or async), sleep
// synchronously (the teardown also runs from `process.on('exit')`, where nothing async can),
// and tell whether a recorded process is still the one we started (pid + start time).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface CmdResult { code: number | null; stdout: string; stderr: string }

/** Run a command to completion; never throws (look at `code`). */
export function runSync(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): CmdResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, input: opts.input ?? '', env: opts.env ?? process.env, maxBuffer: 16 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** Like runSync, but throws with the command's stderr when it fails. */
export function mustSync(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): string {
  const r = runSync(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Run a command without blocking the event loop; never throws (look at `code`; null: killed or not started). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CmdResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { stderr += `\n(timed out after ${opts.timeoutMs ?? 30_000} ms)`; child.kill('SIGKILL'); }, opts.timeoutMs ?? 30_000);
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (err) => { clearTimeout(timer); resolve({ code: null, stdout, stderr: stderr + String(err) }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // it may exit without reading
      child.stdin.end(opts.input);
    }
  });
}

export async function must(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** A process identity that survives pid reuse: "PID STARTTIME". */
export function processIdentity(pid: number): string {
  return `${pid} ${startTime(pid) ?? '?'}`;
}

export function identityAlive(identity: string): boolean {
  const [pid, start] = identity.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const now = startTime(n);
  if (now === undefined) return false;
  // A zombie still has /proc/PID: count it as gone.
  try {
    if (/^State:\s+Z/m.test(readFileSync(`/proc/${n}/status`, 'utf8'))) return false;
  } catch {
    return false;
  }
  return start === '?' || now === start;
}

export function pidOf(identity: string): number {
  return Number(identity.trim().split(' ')[0]);
}
