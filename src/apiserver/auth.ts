// Bearer-token authentication and role-based authorization.
// Tokens are `<id>.<secret>`; only a SHA-256 of the secret is stored (tokens are random and
// long, so a slow password hash buys nothing). The plain token is shown once, at creation.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { followPrefix } from '../store/follow.js';
import type { Store, WatchHandle } from '../store/store.js';
import { StoreAlreadyExistsError } from '../store/errors.js';
import type { Logger } from '../log/logger.js';

/** namespace-viewer and namespace-editor are service accounts' roles, bound to UserInfo.namespace. */
export type Role = 'admin' | 'viewer' | 'node' | 'namespace-viewer' | 'namespace-editor';

export interface UserInfo {
  name: string;
  roles: Role[];
  /** For node credentials: the node this identity may act for. */
  node?: string;
  /** For service accounts: the one namespace their roles apply in. */
  namespace?: string;
}


export interface CreateTokenOptions {
  user: string;
  roles: Role[];
  node?: string;
  description?: string;
  ttlSeconds?: number;
}

/** What may be shown about a token: everything but its hash. */
export interface TokenInfo {
  id: string;
  user: string;
  roles: Role[];
  node?: string;
  description?: string;
  createdAt: string;
  expiresAt?: string;
}

/** As stored: the public part plus a SHA-256 of the secret. */
interface TokenRecord extends TokenInfo, Record<string, unknown> {
  hash: string;
}

function publicInfo(rec: TokenRecord): TokenInfo {
  const { hash: _h, ...info } = rec;
  return { ...info, roles: [...rec.roles] };
}

const prefix = '/bramble/tokens/';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class TokenAuthenticator {
  private readonly tokens = new Map<string, TokenRecord>();
  /** Verified tokens → user, so each request skips the hash; cleared on any token change. Failures are never cached. */
  private readonly verified = new Map<string, { user: UserInfo; expiresAt: number }>();
  private static readonly maxVerified = 4096;
  private watch: WatchHandle | undefined;

  constructor(private readonly store: Store, private readonly log: Logger) {}

  /** Load the tokens and follow changes, so a token made elsewhere (or revoked) takes effect at once. */
  async start(): Promise<void> {
    this.watch = await followPrefix<TokenRecord>(this.store, prefix, (e, gone) => {
      this.verified.clear();
      if (gone) this.tokens.delete(e.value.id);
      else this.tokens.set(e.value.id, e.value);
    }, this.log, 'token index', () => {
      // A reload starts from empty: a token deleted while the watch was behind is revoked.
      this.tokens.clear();
      this.verified.clear();
    });
  }

  stop(): void {
    this.watch?.close();
  }

  /** Returns the plain token; it is not kept anywhere. */
  async create(opts: CreateTokenOptions): Promise<string> {
    // Ids are short (they show in `token list`), so draw again on the rare collision.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.createWithId(randomBytes(4).toString('hex'), opts);
      } catch (err) {
        if (!(err instanceof StoreAlreadyExistsError) || attempt >= 5) throw err;
      }
    }
  }

  private async createWithId(id: string, opts: CreateTokenOptions): Promise<string> {
    const secret = randomBytes(16).toString('hex');
    const rec: TokenRecord = {
      id,
      hash: sha256(secret).toString('hex'),
      user: opts.user,
      roles: opts.roles,
      createdAt: new Date().toISOString(),
    };
    if (opts.node !== undefined) rec.node = opts.node;
    if (opts.description !== undefined) rec.description = opts.description;
    if (opts.ttlSeconds !== undefined) rec.expiresAt = new Date(Date.now() + opts.ttlSeconds * 1000).toISOString();
    await this.store.create(prefix + id, rec);
    this.tokens.set(id, rec);
    this.log.info({ tokenId: id, user: opts.user, roles: opts.roles }, 'token created');
    return `${id}.${secret}`;
  }

  async revoke(id: string): Promise<void> {
    await this.store.delete(prefix + id);
    this.tokens.delete(id);
    this.verified.clear();
  }

  /** Every token, without its hash (the secret is never kept at all). */
  list(): TokenInfo[] {
    return [...this.tokens.values()].map(publicInfo).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  get(id: string): TokenInfo | undefined {
    const rec = this.tokens.get(id);
    return rec ? publicInfo(rec) : undefined;
  }

  hasUserWithRole(role: Role): boolean {
    return [...this.tokens.values()].some((t) => t.roles.includes(role));
  }

  authenticate(token: string): UserInfo | undefined {
    const hit = this.verified.get(token);
    if (hit && hit.expiresAt > Date.now()) return hit.user;
    const user = this.verify(token);
    if (user) {
      if (this.verified.size >= TokenAuthenticator.maxVerified) this.verified.clear();
      const rec = this.tokens.get(token.slice(0, token.indexOf('.')));
      this.verified.set(token, { user, expiresAt: rec?.expiresAt !== undefined ? Date.parse(rec.expiresAt) : Number.POSITIVE_INFINITY });
    }
    return user;
  }

  private verify(token: string): UserInfo | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const rec = this.tokens.get(token.slice(0, dot));
    if (!rec) return undefined;
    const given = sha256(token.slice(dot + 1));
    const want = Buffer.from(rec.hash, 'hex');
    if (want.length !== given.length || !timingSafeEqual(given, want)) return undefined;
    if (rec.expiresAt !== undefined && Date.parse(rec.expiresAt) < Date.now()) return undefined;
    const user: UserInfo = { name: rec.user, roles: rec.roles };
    if (rec.node !== undefined) user.node = rec.node;
    return user;
  }
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface RequestAttributes {
  verb: Verb;
  /** Plural resource name, e.g. `pods`; `nonResource` for /metrics and the like. */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const readVerbs: readonly Verb[] = ['get', 'list', 'watch'];

/**
 * Service accounts act only inside their namespace: namespace-viewer reads everything there
 * but Secrets (and its Namespace object); namespace-editor also writes there, never Secrets
 * (a token is a Secret: writing them would let an account mint tokens for its neighbours).
 */
function authorizeInNamespace(user: UserInfo, attrs: RequestAttributes, reading: boolean): boolean {
  const ns = user.namespace;
  if (ns === undefined) return false;
  if (attrs.resource === 'namespaces') return reading && attrs.verb === 'get' && attrs.name === ns;
  if (attrs.namespace !== ns || attrs.resource === 'secrets') return false;
  if (reading) return user.roles.includes('namespace-viewer') || user.roles.includes('namespace-editor');
  return user.roles.includes('namespace-editor');
}

/**
 * Roles: admin may do anything; viewer may read everything but Secrets; node may read
 * what a kubelet reads and write Node objects and pod status (narrowed to its own node
 * when the agent lands); namespace-viewer/-editor: see authorizeInNamespace.
 */
export function authorize(user: UserInfo, attrs: RequestAttributes): boolean {
  if (user.roles.includes('admin')) return true;
  // Credentials are managed by admins only, reading included.
  if (attrs.resource === 'tokens') return false;
  const reading = readVerbs.includes(attrs.verb);
  if (authorizeInNamespace(user, attrs, reading)) return true;
  if (user.roles.includes('viewer') && reading && attrs.resource !== 'secrets') return true;
  if (user.roles.includes('node')) {
    if (reading) return true;
    if (attrs.resource === 'nodes') return attrs.name === undefined || attrs.name === user.node;
    if (attrs.resource === 'pods' && attrs.subresource === 'status') return true;
    if (attrs.resource === 'events' && attrs.verb === 'create') return true;
  }
  return false;
}
