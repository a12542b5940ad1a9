// The flags of `bramble agent`, defined once, and a parser for them that does not need commander.
//
// `bramble agent` runs for months on small devices and starts through bin/bramble.js's lean path
// (docs/agent.md, "Memory"), which parses these flags with Node's util.parseArgs (already loaded
// by Node itself) instead of commander (~1.6 MB of RSS kept for the agent's whole life). The full
// CLI (src/cli/main.ts, `bramble --help`) still builds the same flags into a commander command
// (addAgentFlags in agent.ts). Both paths print the same help text and the same errors, with the
// same exit codes: test/cli/agent-flags.test.ts runs argument lists through both and compares.
import { parseArgs } from 'node:util';
import { parseHostPort } from '../../agent/host-port.js';

export type ProxyModeFlag = 'auto' | 'iptables' | 'userspace';

export interface AgentFlags {
  master: string;
  token?: string;
  name?: string;
  dataDir?: string;
  nodeIp?: string;
  runtime: 'docker' | 'fake';
  dockerSocket?: string;
  proxyMode: ProxyModeFlag;
  /** host:port of the agent's /metrics; absent or empty: none served. */
  metricsAddress?: string;
}

/**
 * A flag value that is not valid. `code` is commander's own for a rejected value
 * (InvalidArgumentError), so that commander, given this parser, words the message as its own
 * without this module importing commander.
 */
export class FlagValueError extends Error {
  readonly code = 'commander.invalidArgument';
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'FlagValueError';
  }
}

export function parseProxyMode(value: string): ProxyModeFlag {
  if (value !== 'auto' && value !== 'iptables' && value !== 'userspace') throw new FlagValueError('expected "auto", "iptables" or "userspace".');
  return value;
}

export const proxyModeHelp = 'service proxy: iptables (packet filter rules; needs root), userspace (forwarding in this process), or auto (iptables when usable)';

function parseRuntime(value: string): 'docker' | 'fake' {
  if (value !== 'docker' && value !== 'fake') throw new FlagValueError('expected "docker" or "fake".');
  return value;
}

/** Empty is allowed and means off (as kube-proxy's --metrics-bind-address ""). */
function parseMetricsAddress(value: string): string {
  if (value !== '' && !parseHostPort(value)) throw new FlagValueError('expected host:port, such as 127.0.0.1:10249.');
  return value;
}

function parseMasterUrl(value: string): string {
  if (!/^(mqtts?|wss?|tcp):\/\/[^/]+/.test(value)) throw new FlagValueError('expected an MQTT URL such as mqtt://192.168.1.2:1883.');
  return value;
}

/** Shared by src/cli/main.ts and the lean agent path in bin/bramble.js. */
export const agentDescription = 'run a worker: start pods the master assigns to this node, over MQTT, until Ctrl-C';

/** One `--name <value>` flag: every agent flag takes a value. */
export interface AgentFlagDef {
  /** As commander writes it, and as help and errors show it: `--data-dir <dir>`. */
  readonly flags: string;
  readonly name: string;
  readonly key: keyof AgentFlags;
  readonly help: string;
  readonly parse?: (value: string) => string;
  readonly default?: string;
  readonly required?: boolean;
}

function flag(flags: string, help: string, more: Partial<Pick<AgentFlagDef, 'parse' | 'default' | 'required'>> = {}): AgentFlagDef {
  const name = flags.slice(2, flags.indexOf(' '));
  const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof AgentFlags;
  return { flags, name, key, help, ...more };
}

export const agentFlagDefs: readonly AgentFlagDef[] = [
  flag('--master <url>', 'the master\'s MQTT broker, e.g. mqtt://192.168.1.2:1883', { parse: parseMasterUrl, required: true }),
  flag('--token <token>', 'this node\'s token (default: $BRAMBLE_NODE_TOKEN)'),
  flag('--name <name>', 'node name (default: the hostname, lowercased)'),
  flag('--data-dir <dir>', 'local state and pod volumes (default: ~/.bramble/agent)'),
  flag('--node-ip <ip>', 'the node\'s InternalIP, where pod ports are published (default: the local address towards the master)'),
  flag('--runtime <runtime>', 'container runtime: docker, or fake (in memory, nothing runs)', { parse: parseRuntime, default: 'docker' }),
  flag('--docker-socket <path>', 'Docker Engine socket (default /var/run/docker.sock)'),
  flag('--proxy-mode <mode>', proxyModeHelp, { parse: parseProxyMode, default: 'auto' }),
  // Off by default: a listening port is not opened unasked, and a Pi does not pay for an HTTP server nobody scrapes.
  flag('--metrics-address <host:port>', 'serve the proxy\'s counters in Prometheus format at http://host:port/metrics, e.g. 127.0.0.1:10249 (default: off)', { parse: parseMetricsAddress }),
];

// ---- help, as commander formats it ----------------------------------------------------------

const helpFlags = '-h, --help';
const helpHelp = 'display help for command';

/** commander's Help.boxWrap: wrap at whitespace to `width`, keeping line breaks; no wrapping below 40. */
function boxWrap(str: string, width: number): string {
  if (width < 40) return str;
  const lines: string[] = [];
  for (const line of str.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (chunks === null) { lines.push(''); continue; }
    let sum = [chunks.shift()!];
    let sumWidth = sum[0]!.length;
    for (const chunk of chunks) {
      if (sumWidth + chunk.length <= width) { sum.push(chunk); sumWidth += chunk.length; continue; }
      lines.push(sum.join(''));
      const next = chunk.trimStart(); // no leading space at a line break
      sum = [next];
      sumWidth = next.length;
    }
    lines.push(sum.join(''));
  }
  return lines.join('\n');
}

/** commander's Help.formatItem: the term padded to `termWidth`, the description wrapped beside it. */
function formatItem(term: string, termWidth: number, description: string, helpWidth: number): string {
  const remaining = helpWidth - termWidth - 2 - 2;
  const wrapped = remaining < 40 || /\n[^\S\r\n]/.test(description) ? description : boxWrap(description, remaining).replace(/\n/g, `\n${' '.repeat(termWidth + 2)}`);
  return `  ${term.padEnd(termWidth)}  ${wrapped.replace(/\n/g, '\n  ')}`;
}

/** `bramble agent --help`, as commander prints it for a terminal `helpWidth` columns wide (80 when not a terminal). */
export function agentHelp(helpWidth = 80): string {
  const items = [...agentFlagDefs.map((f) => [f.flags, f.default === undefined ? f.help : `${f.help} (default: ${JSON.stringify(f.default)})`] as const), [helpFlags, helpHelp] as const];
  const termWidth = Math.max(...items.map(([t]) => t.length));
  return [
    'Usage: bramble agent [options]', '',
    boxWrap(agentDescription, helpWidth), '',
    'Options:', ...items.map(([t, d]) => formatItem(t, termWidth, d, helpWidth)), '',
  ].join('\n');
}

// ---- parsing, as commander does it ----------------------------------------------------------

/** commander's suggestSimilar for a mistyped `--flag`: the closest long flags by edit distance. */
function suggestFlag(word: string, candidates: string[]): string {
  const distance = (a: string, b: string): number => {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let j = 1; j <= b.length; j++) {
      for (let i = 1; i <= a.length; i++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
    return d[a.length]![b.length]!;
  };
  const w = word.slice(2);
  let best = 3; // commander's maxDistance
  let similar: string[] = [];
  for (const c of new Set(candidates.map((f) => f.slice(2)))) {
    if (c.length <= 1) continue;
    const dist = distance(w, c);
    const length = Math.max(w.length, c.length);
    if ((length - dist) / length <= 0.4) continue;
    if (dist < best) { best = dist; similar = [c]; } else if (dist === best) similar.push(c);
  }
  similar = similar.sort((a, b) => a.localeCompare(b)).map((c) => `--${c}`);
  if (similar.length > 1) return `\n(Did you mean one of ${similar.join(', ')}?)`;
  return similar.length === 1 ? `\n(Did you mean ${similar[0]}?)` : '';
}

export type AgentArgs =
  | { kind: 'run'; flags: AgentFlags }
  /** Print `text` on stdout; exit 0. */
  | { kind: 'help'; text: string }
  /** Print `message` (commander's wording, starting "error: ") on stderr with the usage hint; exit 1. */
  | { kind: 'error'; message: string };

/** A number such as -1 or -2.5e3 is an operand to commander, not an option. */
const negativeNumber = /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/;

/**
 * The arguments after `agent` → the flags, a help request or commander's error for them.
 * Tokens come from util.parseArgs (not strict: unknown options and operands are reported the way
 * commander reports them, and in its order: a bad or missing value at once, left to right; then
 * help; then a missing --master; then the first unknown option; then extra operands).
 */
export function parseAgentArgs(args: string[], helpWidth = 80): AgentArgs {
  const byName = new Map(agentFlagDefs.map((f) => [f.name, f]));
  const { tokens } = parseArgs({
    args, strict: false, allowPositionals: true, tokens: true,
    options: Object.fromEntries(agentFlagDefs.map((f) => [f.name, { type: 'string' as const }])),
  });
  const values = new Map<keyof AgentFlags, string>();
  const operands: string[] = [];
  const unknown: string[] = []; // commander's "unknown": the first unknown option and every non-option after it
  let groupAt = -1; // parseArgs splits "-abc" into one token per letter: commander sees one argument
  for (const t of tokens) {
    if (t.kind === 'option-terminator') {
      (unknown.length ? unknown : operands).push(...(unknown.length ? ['--'] : []), ...args.slice(t.index + 1));
      break;
    }
    if (t.kind === 'positional') { (unknown.length ? unknown : operands).push(t.value); continue; }
    const raw = args[t.index]!;
    const def = t.rawName.startsWith('--') ? byName.get(t.name) : undefined;
    if (def) {
      if (t.value === undefined) return { kind: 'error', message: `error: option '${def.flags}' argument missing` };
      try {
        values.set(def.key, def.parse ? def.parse(t.value) : t.value);
      } catch (err) {
        if (!(err instanceof FlagValueError)) throw err;
        return { kind: 'error', message: `error: option '${def.flags}' argument '${t.value}' is invalid. ${err.message}` };
      }
      continue;
    }
    if (t.index === groupAt) continue;
    groupAt = t.index;
    if (negativeNumber.test(raw) && !unknown.length) { operands.push(raw); continue; }
    unknown.push(raw);
  }
  if (unknown.includes('--help') || unknown.includes('-h')) return { kind: 'help', text: agentHelp(helpWidth) };
  for (const f of agentFlagDefs) {
    if (f.required && !values.has(f.key)) return { kind: 'error', message: `error: required option '${f.flags}' not specified` };
  }
  if (unknown.length) {
    const first = unknown[0]!;
    const suggestion = first.startsWith('--') ? suggestFlag(first, [...agentFlagDefs.map((f) => `--${f.name}`), '--help']) : '';
    return { kind: 'error', message: `error: unknown option '${first}'${suggestion}` };
  }
  if (operands.length) return { kind: 'error', message: `error: too many arguments for 'agent'. Expected 0 arguments but got ${operands.length}.` };
  const flags: Record<string, string> = {};
  for (const f of agentFlagDefs) {
    const v = values.get(f.key) ?? f.default;
    if (v !== undefined) flags[f.key] = v;
  }
  // Every value went through its flag's parser above (or is its default): the record has AgentFlags' shape.
  return { kind: 'run', flags: flags as unknown as AgentFlags };
}
