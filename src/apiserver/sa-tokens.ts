// Service-account tokens: a token Secret's token authenticates as its ServiceAccount while the
// Secret and the account (same uid) both exist. An index of token Secrets and accounts is kept
// from the store (list, then watch), so revoking is deleting: the next request is refused.
// Only a SHA-256 of each token is held in memory; comparison is constant-time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { resourceByKind, storePrefix, type ResourceType } from '../api/registry.js';
import {
  serviceAccountNameAnnotation, serviceAccountRoleAnnotation, serviceAccountTokenPrefix, serviceAccountTokenType,
  serviceAccountUidAnnotation, serviceAccountUser,
} from '../api/service-account-token.js';
import type { KObject } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import { objectKey } from '../client/informer.js';
import { followPrefix } from '../store/follow.js';
import type { Entry, Store, StoredValue, WatchHandle } from '../store/store.js';
import type { UserInfo } from './auth.js';

interface TokenEntry {
  hash: Buffer;
  namespace: string;
  account: string;
  accountUid: string;
}

interface Account {
  uid: string;
  editor: boolean;
}

const secretsType = resourceByKind('v1', 'Secret') as ResourceType;
const accountsType = resourceByKind('v1', 'ServiceAccount') as ResourceType;

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The token's id: what precedes the first dot. */
function tokenId(token: string): string | undefined {
  const dot = token.indexOf('.');
  return token.startsWith(serviceAccountTokenPrefix) && dot > 0 ? token.slice(0, dot) : undefined;
}

/** The index entry of a token Secret, or undefined if it is not a well-formed one. */
export function tokenEntryOf(secret: KObject): [string, TokenEntry] | undefined {
  if (secret.type !== serviceAccountTokenType) return undefined;
  const a = secret.metadata.annotations ?? {};
  const data = (secret.data ?? {}) as Record<string, string>;
  const account = a[serviceAccountNameAnnotation];
  const accountUid = a[serviceAccountUidAnnotation];
  if (account === undefined || accountUid === undefined || typeof data.token !== 'string') return undefined;
  const token = Buffer.from(data.token, 'base64').toString('utf8');
  const id = tokenId(token);
  if (id === undefined) return undefined;
  return [id, { hash: sha256(token), namespace: secret.metadata.namespace ?? '', account, accountUid }];
}

export class ServiceAccountTokens {
  private readonly tokens = new Map<string, TokenEntry>();
  /** Store key of a token Secret → its token id, to forget it when the Secret changes or goes. */
  private readonly idBySecret = new Map<string, string>();
  private readonly accounts = new Map<string, Account>();
  private readonly watches: WatchHandle[] = [];

  constructor(private readonly store: Store, private readonly log: Logger) {}

  async start(): Promise<void> {
    const what = 'service-account token index';
    // Each reload starts from empty: a Secret or account deleted while the watch was behind is revoked.
    this.watches.push(await followPrefix(this.store, storePrefix(secretsType), (e, gone) => this.onSecret(e, gone), this.log, what, () => {
      this.tokens.clear();
      this.idBySecret.clear();
    }));
    this.watches.push(await followPrefix(this.store, storePrefix(accountsType), (e, gone) => this.onAccount(e, gone), this.log, what, () => this.accounts.clear()));
  }

  stop(): void {
    for (const w of this.watches.splice(0)) w.close();
  }

  private onSecret(e: Entry<StoredValue>, gone: boolean): void {
    const old = this.idBySecret.get(e.key);
    if (old !== undefined) this.tokens.delete(old);
    this.idBySecret.delete(e.key);
    const entry = gone ? undefined : tokenEntryOf(e.value as unknown as KObject);
    if (!entry) return;
    this.tokens.set(entry[0], entry[1]);
    this.idBySecret.set(e.key, entry[0]);
  }

  private onAccount(e: Entry<StoredValue>, gone: boolean): void {
    const sa = e.value as unknown as KObject;
    const key = objectKey(sa);
    if (gone || sa.metadata.uid === undefined) this.accounts.delete(key);
    else this.accounts.set(key, { uid: sa.metadata.uid, editor: sa.metadata.annotations?.[serviceAccountRoleAnnotation] === 'editor' });
  }

  authenticate(token: string): UserInfo | undefined {
    const id = tokenId(token);
    const entry = id === undefined ? undefined : this.tokens.get(id);
    if (!entry || !timingSafeEqual(sha256(token), entry.hash)) return undefined;
    const account = this.accounts.get(`${entry.namespace}/${entry.account}`);
    // The account was deleted (or deleted and made again: a new uid is a new identity).
    if (!account || account.uid !== entry.accountUid) return undefined;
    return {
      name: serviceAccountUser(entry.namespace, entry.account),
      roles: [account.editor ? 'namespace-editor' : 'namespace-viewer'],
      namespace: entry.namespace,
    };
  }
}
