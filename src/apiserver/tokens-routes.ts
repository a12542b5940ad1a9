// Bearer tokens as an API: /apis/bramble.dev/v1/tokens. Admin only (auth.ts refuses every
// other role, reads included). The plain token is in the create response and nowhere else.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StatusError } from '../api/status.js';
import { isValidNodeName } from '../protocol/topics.js';
import type { Role, TokenInfo } from './auth.js';
import { isObject } from './objects.js';
import type { ApiServer } from './server.js';

export const tokensPath = '/apis/bramble.dev/v1/tokens';
const apiVersion = 'bramble.dev/v1';
const roles: readonly Role[] = ['admin', 'viewer', 'node'];
const maxTtlSeconds = 10 * 365 * 24 * 3600;

interface TokenRequest {
  user: string;
  roles: Role[];
  node?: string;
  description?: string;
  ttlSeconds?: number;
}

function field(msg: string, name: string): StatusError {
  return new StatusError('Invalid', `Token is invalid: ${name}: ${msg}`, { kind: 'Token', causes: [{ field: name, reason: 'FieldValueInvalid', message: msg }] });
}

/** `{ node }` makes a node credential; `{ roles, user }` a user's. */
export function parseTokenRequest(body: unknown): TokenRequest {
  if (!isObject(body)) throw new StatusError('BadRequest', 'the request body must be a JSON object such as {"node":"pi-1"} or {"roles":["viewer"],"user":"alice"}');
  const known = new Set(['kind', 'apiVersion', 'node', 'user', 'roles', 'description', 'ttlSeconds']);
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new StatusError('BadRequest', `strict decoding error: ${unknown.map((k) => `unknown field "${k}"`).join(', ')}`);
  const { node, user, description, ttlSeconds } = body;
  let wanted = body.roles;
  if (node !== undefined && (typeof node !== 'string' || !isValidNodeName(node))) throw field('must be a node name (lowercase letters, digits, "-" and ".")', 'node');
  if (node !== undefined) wanted ??= ['node'];
  if (!Array.isArray(wanted) || wanted.length === 0) throw field('Required value: give "node" for a node credential, or "roles" (admin, viewer, node)', 'roles');
  for (const r of wanted) if (!roles.includes(r as Role)) throw field(`Unsupported value: ${JSON.stringify(r)}: supported values: "admin", "viewer", "node"`, 'roles');
  if (wanted.includes('node') && node === undefined) throw field('Required value: a token with role "node" must name its node', 'node');
  if (user !== undefined && (typeof user !== 'string' || user.length === 0 || user.length > 253)) throw field('must be a non-empty string', 'user');
  if (node === undefined && user === undefined) throw field('Required value: the user the token is for', 'user');
  if (description !== undefined && (typeof description !== 'string' || description.length > 1024)) throw field('must be a string of at most 1024 characters', 'description');
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtlSeconds)) throw field(`must be a whole number of seconds from 1 to ${maxTtlSeconds}`, 'ttlSeconds');
  const req: TokenRequest = { user: (user as string | undefined) ?? `system:node:${node as string}`, roles: [...new Set(wanted as Role[])] };
  if (node !== undefined) req.node = node as string;
  if (description !== undefined) req.description = description as string;
  if (ttlSeconds !== undefined) req.ttlSeconds = ttlSeconds as number;
  return req;
}

function tokenObject(info: TokenInfo): Record<string, unknown> {
  return { kind: 'Token', apiVersion, ...info };
}

export function registerTokenRoutes(app: FastifyInstance, server: ApiServer): void {
  const check = (req: FastifyRequest, verb: 'list' | 'create' | 'delete', name?: string): void =>
    server.check(req, { verb, resource: 'tokens', ...(name !== undefined ? { name } : {}) });

  app.get(tokensPath, async (req) => {
    check(req, 'list');
    return { kind: 'TokenList', apiVersion, metadata: {}, items: server.tokens.list().map(tokenObject) };
  });

  app.post(tokensPath, async (req, reply) => {
    check(req, 'create');
    const r = parseTokenRequest(req.body);
    const token = await server.tokens.create(r);
    const id = token.slice(0, token.indexOf('.'));
    const info = server.tokens.get(id);
    return reply.code(201).send({ ...tokenObject(info ?? { id, user: r.user, roles: r.roles, createdAt: '' }), token });
  });

  app.delete(`${tokensPath}/:id`, async (req) => {
    const { id } = req.params as { id: string };
    check(req, 'delete', id);
    if (!server.tokens.get(id)) throw new StatusError('NotFound', `tokens "${id}" not found`, { name: id, kind: 'tokens' });
    await server.tokens.revoke(id);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200, details: { name: id, kind: 'tokens' } };
  });
}
