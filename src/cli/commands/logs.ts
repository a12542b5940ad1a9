// `bramble logs POD`: a container's log from its node, streamed to stdout (`-f` follows until Ctrl-C).
import { connect, interruptSignal, type GlobalOptions } from '../context.js';
import { parseDuration } from './token.js';
import { CliError } from '../errors.js';

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
  limitBytes?: string;
  previous?: boolean;
}

function count(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new CliError(`invalid ${flag} "${v}": must be a number`);
  const n = Number(v);
  return n < 0 ? undefined : n; // kubectl: --tail=-1 means everything
}

export async function runLogs(pod: string, g: GlobalOptions, flags: LogsFlags): Promise<number> {
  const { client, namespace } = connect(g);
  const name = pod.startsWith('pod/') ? pod.slice(4) : pod.startsWith('pods/') ? pod.slice(5) : pod;
  const tailLines = count(flags.tail, '--tail');
  const limitBytes = count(flags.limitBytes, '--limit-bytes');
  const opts: Parameters<typeof client.logs>[2] = { follow: flags.follow === true };
  if (flags.container !== undefined) opts.container = flags.container;
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (limitBytes !== undefined) opts.limitBytes = limitBytes;
  if (flags.since !== undefined) opts.sinceSeconds = Math.max(1, parseDuration(flags.since, '--since'));
  if (flags.timestamps) opts.timestamps = true;
  if (flags.previous) opts.previous = true;
  const interrupt = interruptSignal();
  try {
    for await (const chunk of client.logs(namespace, name, opts, interrupt.signal)) {
      if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
    }
  } finally {
    interrupt.dispose();
  }
  return 0;
}
