// Every failure ends as one line on stderr, worded like kubectl's; stack traces are for bugs, not for user mistakes.
import { StatusError } from '../api/status.js';
import { ApiError } from '../client/errors.js';

/** A mistake the user can fix (bad flag value, missing file, unknown kind): printed as `error: <message>`. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The server's message, plus the field paths of any causes it does not already name. */
export function serverMessage(err: StatusError): string {
  const missing = (err.details?.causes ?? []).filter((c) => c.field && !err.message.includes(c.field));
  if (missing.length === 0) return err.message;
  return `${err.message}: ${missing.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
}

/** `context` is prefixed to server messages, e.g. `error when creating "web.yaml"`. */
export function formatError(err: unknown, context?: string): string {
  if (err instanceof ApiError) return `Error from server (${err.reason}): ${context ? `${context}: ` : ''}${serverMessage(err)}`;
  if (err instanceof StatusError) return `error: ${context ? `${context}: ` : ''}${serverMessage(err)}`;
  if (err instanceof Error) {
    const known = err instanceof CliError || ['ConnectionError', 'KubeconfigError', 'AbortError'].includes(err.name);
    // An unexpected exception is a Bramble bug: the stack helps whoever reports it, when asked for.
    const stack = !known && process.env.BRAMBLE_DEBUG ? `\n${err.stack ?? ''}` : '';
    return `error: ${context ? `${context}: ` : ''}${err.message}${stack}`;
  }
  return `error: ${String(err)}`;
}

export function printError(err: unknown, context?: string): void {
  process.stderr.write(`${formatError(err, context)}\n`);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'NotFound';
}
