// A small logger for the agent that writes the same NDJSON lines as pino (docs/agent.md, "Memory"):
// {"level":30,"time":1700000000000,"pid":1,"hostname":"pi","name":"bramble-agent",...bindings,...fields,"msg":"..."}
// with pino's numeric levels, its `err` serialization ({type, message, stack, ...}), child
// bindings and the same redaction paths. pino itself (with its serializers, redaction compiler,
// sonic-boom and thread-stream) costs the agent ~2.5 MB of RSS for a few lines a minute.
//
// Only what Bramble's components call exists: trace/debug/info/warn/error/fatal with
// (fields, msg, ...args) or (msg, ...args) or (err, msg), child(), flush(), level, isLevelEnabled().
// Lines are written synchronously (the agent logs little; nothing is lost on a crash).
import { writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { format } from 'node:util';

export const levelValues = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LeanLevel = keyof typeof levelValues;
type LogFn = (objOrMsg?: unknown, ...rest: unknown[]) => void;

export interface LeanLoggerOptions {
  level?: LeanLevel;
  name?: string;
  /** Top-level keys, `a.b` paths and `*.key` (any top-level object's key) replaced by `censor`. */
  redact?: string[];
  censor?: string;
  /** Where lines go (default: file descriptor 2). */
  write?: (line: string) => void;
}

export interface LeanLogger {
  level: LeanLevel;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  silent: LogFn;
  child(bindings: Record<string, unknown>): LeanLogger;
  bindings(): Record<string, unknown>;
  isLevelEnabled(level: string): boolean;
  flush(cb?: (err?: Error) => void): void;
}

interface Shared {
  level: number;
  levelName: LeanLevel;
  /** `"level":` is written first; this is everything after `time` that every line shares. */
  head: string;
  write: (line: string) => void;
  redact: Redactor;
}

type Redactor = (o: Record<string, unknown>) => Record<string, unknown>;

function makeRedactor(paths: string[], censor: string): Redactor {
  const top = new Set<string>();
  const nested: [string, string][] = [];
  const anyParent = new Set<string>();
  const deep: string[][] = [];
  for (const p of paths) {
    const parts = p.split('.');
    if (parts.length === 1) top.add(p);
    else if (parts[0] === '*' && parts.length === 2) anyParent.add(parts[1]!);
    else if (parts.length === 2) nested.push([parts[0]!, parts[1]!]);
    else deep.push(parts);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Error);
  const censorPath = (o: Record<string, unknown>, parts: string[]): Record<string, unknown> => {
    const [head, ...rest] = parts;
    if (head === undefined || !(head in o)) return o;
    if (rest.length === 0) return { ...o, [head]: censor };
    const inner = o[head];
    if (!isObject(inner)) return o;
    const next = censorPath(inner, rest);
    return next === inner ? o : { ...o, [head]: next };
  };
  return (o) => {
    let out = o;
    for (const k of Object.keys(o)) {
      if (top.has(k)) {
        out = out === o ? { ...o } : out;
        out[k] = censor;
        continue;
      }
      const v = o[k];
      if (anyParent.size > 0 && isObject(v)) {
        let copy: Record<string, unknown> | undefined;
        for (const key of anyParent) {
          if (key in v) {
            copy ??= { ...v };
            copy[key] = censor;
          }
        }
        if (copy) {
          out = out === o ? { ...o } : out;
          out[k] = copy;
        }
      }
    }
    for (const [a, b] of nested) out = censorPath(out, [a, b]);
    for (const parts of deep) out = censorPath(out, parts);
    return out;
  };
}

type ErrorLike = Error & { cause?: unknown; errors?: unknown };

function causeOf(err: ErrorLike): ErrorLike | undefined {
  const c = typeof err.cause === 'function' ? (err.cause as () => unknown)() : err.cause;
  return c instanceof Error ? c : undefined;
}

function messageWithCauses(err: ErrorLike, seen: Set<Error>, skip = false): string {
  const message = skip ? '' : err.message || '';
  if (seen.has(err)) return `${message}: ...`;
  const cause = causeOf(err);
  if (!cause) return message;
  seen.add(err);
  const vErrorStyle = typeof err.cause === 'function';
  return message + (vErrorStyle ? '' : ': ') + messageWithCauses(cause, seen, vErrorStyle);
}

function stackWithCauses(err: ErrorLike, seen: Set<Error>): string {
  const stack = err.stack || '';
  if (seen.has(err)) return `${stack}\ncauses have become circular...`;
  const cause = causeOf(err);
  if (!cause) return stack;
  seen.add(err);
  return `${stack}\ncaused by: ${stackWithCauses(cause, seen)}`;
}

/**
 * pino-std-serializers' err: type, message and stack with the causes appended, aggregate errors,
 * then the error's other enumerable properties (nested errors serialized the same way).
 */
export function serializeError(err: Error, seen = new Set<Error>()): Record<string, unknown> {
  const e = err as ErrorLike;
  seen.add(e);
  const out: Record<string, unknown> = {
    type: typeof e.constructor === 'function' ? e.constructor.name : e.name,
    message: messageWithCauses(e, new Set()),
    stack: stackWithCauses(e, new Set()),
  };
  if (Array.isArray(e.errors)) out.aggregateErrors = e.errors.map((x: unknown) => (x instanceof Error ? serializeError(x, seen) : x));
  for (const k in e) {
    if (out[k] !== undefined) continue;
    const v = (e as unknown as Record<string, unknown>)[k];
    if (v instanceof Error) {
      if (k !== 'cause' && !seen.has(v)) out[k] = serializeError(v, seen);
    } else out[k] = v;
  }
  seen.delete(e);
  return out;
}

function stringify(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
  } catch {
    // Circular: replace repeated objects, as pino's safe-stable-stringify does.
    const seen = new WeakSet<object>();
    return JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString();
      if (typeof x === 'object' && x !== null) {
        if (seen.has(x)) return '[Circular]';
        seen.add(x);
      }
      return x;
    }) ?? 'null';
  }
}

/** `"k":v` pairs (no braces) of an object's fields, with err values serialized, or '' if none. */
function fields(o: Record<string, unknown>): string {
  let s = '';
  for (const k of Object.keys(o)) {
    let v = o[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (v instanceof Error) v = serializeError(v);
    s += `,${JSON.stringify(k)}:${stringify(v)}`;
  }
  return s;
}

function defaultWrite(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // stderr closed or full (EAGAIN on a non-blocking pipe): a log line is not worth a crash.
  }
}

class Lean implements LeanLogger {
  constructor(private readonly s: Shared, private readonly bound: Record<string, unknown>, private readonly boundText: string) {}

  get level(): LeanLevel {
    return this.s.levelName;
  }

  set level(name: LeanLevel) {
    if (!(name in levelValues)) throw new Error(`unknown level ${String(name)}`);
    this.s.levelName = name;
    this.s.level = levelValues[name];
  }

  isLevelEnabled(level: string): boolean {
    const v = (levelValues as Record<string, number>)[level];
    return v !== undefined && v >= this.s.level;
  }

  private log(level: number, a: unknown, rest: unknown[]): void {
    if (level < this.s.level) return;
    let extra = '';
    let msg: unknown;
    if (a instanceof Error) {
      extra = `,"err":${stringify(serializeError(a))}`;
      msg = rest.length > 0 ? format(...rest) : a.message;
    } else if (typeof a === 'object' && a !== null) {
      const o = this.s.redact(a as Record<string, unknown>);
      extra = fields(o);
      if (rest.length > 0) msg = format(...rest);
      else if (o.err instanceof Error) msg = o.err.message;
    } else if (a !== undefined) {
      msg = format(a, ...rest);
    }
    const line = `{"level":${level},"time":${Date.now()}${this.s.head}${this.boundText}${extra}${msg !== undefined ? `,"msg":${JSON.stringify(String(msg))}` : ''}}\n`;
    this.s.write(line);
  }

  trace: LogFn = (a, ...rest) => this.log(10, a, rest);
  debug: LogFn = (a, ...rest) => this.log(20, a, rest);
  info: LogFn = (a, ...rest) => this.log(30, a, rest);
  warn: LogFn = (a, ...rest) => this.log(40, a, rest);
  error: LogFn = (a, ...rest) => this.log(50, a, rest);
  fatal: LogFn = (a, ...rest) => this.log(60, a, rest);
  silent: LogFn = () => undefined;

  child(bindings: Record<string, unknown>): LeanLogger {
    const b = this.s.redact(bindings);
    return new Lean(this.s, { ...this.bound, ...b }, this.boundText + fields(b));
  }

  bindings(): Record<string, unknown> {
    return { ...this.bound };
  }

  flush(cb?: (err?: Error) => void): void {
    cb?.(); // every line is already written
  }
}

export function createLeanLogger(opts: LeanLoggerOptions = {}): LeanLogger {
  const levelName = opts.level ?? 'info';
  if (!(levelName in levelValues)) throw new Error(`unknown log level "${levelName}"`);
  const head = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}${opts.name !== undefined ? `,"name":${JSON.stringify(opts.name)}` : ''}`;
  const redact = opts.redact && opts.redact.length > 0 ? makeRedactor(opts.redact, opts.censor ?? '[Redacted]') : (o: Record<string, unknown>) => o;
  return new Lean({ level: levelValues[levelName], levelName, head, write: opts.write ?? defaultWrite, redact }, {}, '');
}
