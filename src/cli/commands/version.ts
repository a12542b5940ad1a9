// `bramble version`: this CLI's version, and the server's when one is reachable.
import { readFileSync } from 'node:fs';
import type { GlobalOptions } from '../context.js';
import { connect } from '../context.js';
import { printError } from '../errors.js';
import { at, str } from '../output/fields.js';

export function clientVersion(): string {
  // Same relative path from src/cli/commands and from dist/cli/commands.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return `v${pkg.version ?? '0.0.0'}`;
}

export async function runVersion(g: GlobalOptions, opts: { client?: boolean }): Promise<number> {
  process.stdout.write(`Client Version: ${clientVersion()}\n`);
  if (opts.client) return 0;
  try {
    const { client } = connect(g);
    const v = await client.raw('GET', '/version');
    process.stdout.write(`Server Version: ${str(at(v, 'gitVersion'), typeof v === 'string' ? v.trim() : JSON.stringify(v))}\n`);
    return 0;
  } catch (err) {
    printError(err);
    return 1;
  }
}
