// Reads `-f` arguments: files, directories (their manifests in name order) and `-` for stdin.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseManifests } from '../api/manifest.js';
import { StatusError } from '../api/status.js';
import type { KObject } from '../api/types.js';
import { CliError } from './errors.js';

export interface ManifestObject {
  /** The file it came from, as given (`STDIN` for `-`). */
  source: string;
  object: KObject;
}

const manifestExt = /\.(ya?ml|json)$/i;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function filesOf(p: string): string[] {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new CliError(`the path "${p}" does not exist`);
  }
  if (!st.isDirectory()) return [p];
  return readdirSync(p).filter((f) => manifestExt.test(f)).sort().map((f) => path.join(p, f));
}

function parse(text: string, source: string): KObject[] {
  try {
    return parseManifests(text, source);
  } catch (err) {
    // A bad manifest is the user's file, not the server: report it as a local error with its file:line:col.
    if (err instanceof StatusError) throw new CliError(err.message);
    throw err;
  }
}

export async function readManifests(paths: readonly string[]): Promise<ManifestObject[]> {
  const out: ManifestObject[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parse(await readStdin(), 'STDIN').map((object) => ({ source: 'STDIN', object })));
      continue;
    }
    for (const file of filesOf(p)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      out.push(...parse(text, file).map((object) => ({ source: file, object })));
    }
  }
  return out;
}
