// Structured logs (pino). Components take a Logger argument; tests pass `silentLogger()`.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  /** Write to this file descriptor (default 2, stderr: stdout stays for command output). */
  fd?: number;
}

// Never log credentials: these paths are replaced wherever they appear in a log record.
const redact = ['token', 'password', 'authorization', 'headers.authorization', 'req.headers.authorization', '*.token', '*.password', 'data', '*.data'];

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? (process.env.BRAMBLE_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info', name: opts.name ?? 'bramble', redact: { paths: redact, censor: '[redacted]' } },
    pino.destination({ fd: opts.fd ?? 2, sync: false }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
