// A child process of the harness (master, agent, dockerd), optionally inside a network
// namespace. Each runs under `setpriv --pdeathsig`, so it dies with the test process even on
// SIGKILL (the sweeper of the next run removes the rest), and `nsenter --net` (not `ip netns
// exec`: that remounts /sys, which hides the cgroup mounts dockerd needs). Both exec, so the pid
// is the program's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

const keepBytes = 512 * 1024;

export interface ProcOptions {
  /** Network namespace name (as `ip netns add` made it); default: the host's. */
  netns?: string;
  env?: NodeJS.ProcessEnv;
  /** Signal the process gets when the test process dies. */
  deathSignal?: 'SIGKILL' | 'SIGTERM';
  /** Also append stdout and stderr to this file. */
  logFile?: string;
}

export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  /** The last 512 KiB of stderr. */
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly log: WriteStream | undefined;

  constructor(readonly label: string, cmd: string, args: string[], opts: ProcOptions = {}) {
    const full = ['--pdeathsig', opts.deathSignal ?? 'SIGKILL', ...(opts.netns ? ['nsenter', `--net=/run/netns/${opts.netns}`, '--'] : []), cmd, ...args];
    this.log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    this.child = spawn('setpriv', full, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      if (this.stdout.length > 4 * keepBytes) this.stdout = this.stdout.slice(-keepBytes);
      this.log?.write(d);
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.length > 2 * keepBytes) this.stderr = this.stderr.slice(-keepBytes);
      this.log?.write(d);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve(null));
      this.child.on('exit', (code) => { this.log?.end(); resolve(code); });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `re` in stdout; fails if the process exits first or after timeoutMs. */
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.stdout.match(re);
      if (m) return m;
      if (!this.running) throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.label} did not print ${re} within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Signal it and wait for the exit; SIGKILL after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => { if (this.running) this.child.kill('SIGKILL'); }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The end of its output, for failure messages. */
  tail(lines = 40): string {
    const last = (s: string): string => s.split('\n').slice(-lines).join('\n');
    return `--- ${this.label} stdout ---\n${last(this.stdout)}\n--- ${this.label} stderr ---\n${last(this.stderr)}`;
  }
}
