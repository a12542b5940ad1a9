// Structured logs (pino's NDJSON). Components take a Logger argument; tests pass `silentLogger()`.
//
// The master and the CLI log through pino. The agent's lean start-up path (bin/bramble.js) calls
// preferLeanLogger() first: createLogger then returns lean.ts's logger, which writes the same lines
// (level/time/pid/hostname/name, bindings, fields, msg; same redaction) without loading pino
// (~2.5 MB of RSS on a small device). pino is loaded on first use only, so the agent never pays for it.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger, LevelWithSilent } from 'pino';
import { createLeanLogger, levelValues, type LeanLevel } from './lean.js';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  /** Write to this file descriptor (default 2, stderr: stdout stays for command output). */
  fd?: number;
}

// Never log credentials: these paths are replaced wherever they appear in a log record.
const redact = ['token', 'password', 'authorization', 'headers.authorization', 'req.headers.authorization', '*.token', '*.password', 'data', '*.data'];
const censor = '[redacted]';

const require = createRequire(import.meta.url);
function pinoModule(): typeof import('pino') {
  return require('pino') as typeof import('pino');
}

let lean = false;

/** From now on createLogger() makes the lean logger (the agent's start-up path; BRAMBLE_AGENT_LOGGER=pino keeps pino). */
export function preferLeanLogger(): void {
  lean = process.env.BRAMBLE_AGENT_LOGGER !== 'pino';
}

function levelFromEnv(opts: LoggerOptions): LevelWithSilent {
  return opts.level ?? (process.env.BRAMBLE_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = levelFromEnv(opts);
  const name = opts.name ?? 'bramble';
  if (lean && level in levelValues) {
    const fd = opts.fd ?? 2;
    const write = fd === 2 ? undefined : (line: string): void => { writeSync(fd, line); };
    // The lean logger has the subset of pino's Logger that Bramble's components call (lean.ts).
    return createLeanLogger({ level: level as LeanLevel, name, redact, censor, ...(write ? { write } : {}) }) as unknown as Logger;
  }
  const { pino } = pinoModule();
  return pino({ level, name, redact: { paths: redact, censor } }, pino.destination({ fd: opts.fd ?? 2, sync: false }));
}

export function silentLogger(): Logger {
  return pinoModule().pino({ level: 'silent' });
}
