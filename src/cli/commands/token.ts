// `bramble token create|list|revoke`: API credentials for nodes and users (admin only).
// `create` prints only the token, so `TOKEN=$(bramble token create --node pi-1)` works.
import { connect, type GlobalOptions } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output/table.js';

export interface TokenCreateFlags {
  node?: string;
  user?: string;
  role?: string[];
  ttl?: string;
  description?: string;
}

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `5m`, `1h`, `7d`, `1h30m` or plain seconds → seconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+)([smhd])/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== t.length || consumed === 0) throw new CliError(`invalid ${flag} "${text}": use a duration such as 90s, 5m, 1h or 7d`);
  return total;
}

export async function runTokenCreate(g: GlobalOptions, flags: TokenCreateFlags): Promise<number> {
  if (flags.node === undefined && flags.user === undefined) throw new CliError('give --node NAME for a node credential, or --user NAME --role ROLE for a user');
  const { client } = connect(g);
  const req: Parameters<typeof client.createToken>[0] = {};
  if (flags.node !== undefined) req.node = flags.node;
  if (flags.user !== undefined) req.user = flags.user;
  if (flags.role && flags.role.length > 0) req.roles = flags.role;
  if (flags.description !== undefined) req.description = flags.description;
  if (flags.ttl !== undefined) req.ttlSeconds = parseDuration(flags.ttl, '--ttl');
  const t = await client.createToken(req);
  process.stdout.write(`${t.token}\n`);
  return 0;
}

export async function runTokenList(g: GlobalOptions): Promise<number> {
  const { client } = connect(g);
  const items = await client.listTokens();
  if (items.length === 0) {
    process.stderr.write('No tokens found\n');
    return 0;
  }
  const rows = [['ID', 'USER', 'ROLES', 'NODE', 'CREATED', 'EXPIRES', 'DESCRIPTION'],
    ...items.map((t) => [t.id, t.user, t.roles.join(','), t.node ?? '<none>', t.createdAt, t.expiresAt ?? '<never>', t.description ?? ''])];
  process.stdout.write(`${renderTable(rows).join('\n')}\n`);
  return 0;
}

export async function runTokenRevoke(g: GlobalOptions, ids: string[]): Promise<number> {
  const { client } = connect(g);
  for (const id of ids) {
    await client.revokeToken(id);
    process.stdout.write(`token "${id}" revoked\n`);
  }
  return 0;
}
