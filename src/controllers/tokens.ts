// The token controller: every ServiceAccount has a token Secret (type
// kubernetes.io/service-account-token) named in its `secrets`, owned by it (so the garbage
// collector deletes the Secret with the account). The API server authenticates these tokens.
import { randomBytes } from 'node:crypto';
import { resourceByKind, type ResourceType } from '../api/registry.js';
import {
  serviceAccountNameAnnotation, serviceAccountTokenPrefix, serviceAccountTokenType, serviceAccountUidAnnotation,
} from '../api/service-account-token.js';
import type { KObject, ObjectMeta } from '../api/types.js';
import { objectKey, type Informer } from '../client/informer.js';
import type { Controller, ControllerContext } from './controller.js';
import { isConflict, isForbidden, isNotFound, ReconcileLoop, splitKey } from './controller.js';
import type { ControllerFactory } from './manager.js';

const serviceAccountsType = resourceByKind('v1', 'ServiceAccount') as ResourceType;
const secretsType = resourceByKind('v1', 'Secret') as ResourceType;

interface SecretRef { name?: string; namespace?: string; kind?: string; apiVersion?: string; uid?: string }

export function newServiceAccountToken(): string {
  return `${serviceAccountTokenPrefix}${randomBytes(8).toString('hex')}.${randomBytes(16).toString('hex')}`;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

export function tokenSecretFor(sa: KObject, token: string): KObject {
  const m = sa.metadata;
  return {
    apiVersion: 'v1', kind: 'Secret', type: serviceAccountTokenType,
    metadata: {
      generateName: `${m.name ?? ''}-token-`, namespace: m.namespace ?? '',
      annotations: { [serviceAccountNameAnnotation]: m.name ?? '', [serviceAccountUidAnnotation]: m.uid ?? '' },
      // The account owns its token: deleting the account deletes the Secret (garbage collector).
      ownerReferences: [{ apiVersion: 'v1', kind: 'ServiceAccount', name: m.name ?? '', uid: m.uid ?? '' }],
    },
    data: { token: b64(token), namespace: b64(m.namespace ?? '') },
  };
}

export interface TokenPlan {
  /** Token Secrets left by an earlier account of the same name (another uid). */
  deleteSecrets: string[];
  /** No valid token Secret: make one. */
  create: boolean;
  /** Names of the account's valid token Secrets. */
  valid: string[];
}

/** Given the namespace's token Secrets (a live list), what the account needs. */
export function planTokens(sa: KObject, tokenSecrets: readonly KObject[]): TokenPlan {
  const mine = tokenSecrets.filter((s) => s.metadata.annotations?.[serviceAccountNameAnnotation] === sa.metadata.name);
  const valid = mine.filter((s) => s.metadata.annotations?.[serviceAccountUidAnnotation] === sa.metadata.uid && typeof (s.data as Record<string, unknown> | undefined)?.token === 'string');
  const stale = mine.filter((s) => s.metadata.annotations?.[serviceAccountUidAnnotation] !== sa.metadata.uid);
  return { deleteSecrets: stale.map((s) => s.metadata.name ?? ''), create: valid.length === 0, valid: valid.map((s) => s.metadata.name ?? '') };
}

/**
 * The account's `secrets` once references to token Secrets that are gone or not its own are
 * dropped and its valid ones named; undefined when nothing changes. References to other Secrets
 * (a user's) are kept.
 */
export function desiredSecretRefs(sa: KObject, valid: readonly string[], tokenSecretNames: ReadonlySet<string>): SecretRef[] | undefined {
  const refs = ((sa as { secrets?: SecretRef[] }).secrets ?? []);
  const kept = refs.filter((r) => valid.includes(r.name ?? '') || !(tokenSecretNames.has(r.name ?? '') || (r.name ?? '').startsWith(`${sa.metadata.name ?? ''}-token-`)));
  const missing = valid.filter((n) => !kept.some((r) => r.name === n));
  const next = [...kept, ...missing.map((name) => ({ name }))];
  const same = next.length === refs.length && next.every((r, i) => r.name === refs[i]?.name);
  return same ? undefined : next;
}

export class TokensController implements Controller {
  readonly name = 'serviceaccount-token';
  private readonly loop: ReconcileLoop;
  private readonly accounts: Informer;
  private readonly secrets: Informer;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop({ name: this.name, logger: ctx.logger, reconcile: (k) => this.reconcile(k) });
    this.accounts = ctx.informers.for(serviceAccountsType);
    this.secrets = ctx.informers.for(secretsType);
  }

  start(): void {
    this.unsubscribe.push(
      this.accounts.on((t, sa) => { if (t !== 'DELETED') this.loop.enqueue(objectKey(sa)); }),
      this.secrets.on((_t, s) => {
        const owner = s.metadata.annotations?.[serviceAccountNameAnnotation];
        if (s.type === serviceAccountTokenType && owner !== undefined) this.loop.enqueue(`${s.metadata.namespace ?? ''}/${owner}`);
      }),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.loop.stop();
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const sa = this.accounts.get(namespace, name);
    if (!sa || sa.metadata.deletionTimestamp !== undefined) return;
    // A live list, not the cache: a Secret made by the previous pass may not be cached yet, and
    // trusting the cache would mint a second token.
    const list = await this.ctx.api.list(secretsType, namespace, { fieldSelector: `type=${serviceAccountTokenType}` });
    const plan = planTokens(sa, list.items);
    for (const s of plan.deleteSecrets) await this.deleteSecret(namespace, s);
    const valid = [...plan.valid];
    if (plan.create) {
      const created = await this.createSecret(sa);
      // The namespace is terminating (its objects are being deleted, this account too): nothing to do.
      if (!created) return;
      valid.push(created.metadata.name ?? '');
      this.ctx.events.record(sa, 'Normal', 'TokenCreated', `Created token secret ${created.metadata.name ?? ''}`);
    }
    const names = new Set(list.items.map((s) => s.metadata.name ?? ''));
    const refs = desiredSecretRefs(sa, valid, names);
    if (refs) await this.updateRefs(sa, refs);
  }

  private async createSecret(sa: KObject): Promise<KObject | undefined> {
    try {
      return await this.ctx.api.create(secretsType, sa.metadata.namespace, tokenSecretFor(sa, newServiceAccountToken()));
    } catch (err) {
      if (isForbidden(err)) return undefined;
      throw err;
    }
  }

  private async updateRefs(sa: KObject, secrets: SecretRef[]): Promise<void> {
    const metadata: ObjectMeta = { ...sa.metadata };
    // The cached resourceVersion is a precondition; a conflict retries with the newer account.
    await this.ctx.api.update(serviceAccountsType, sa.metadata.namespace, { ...sa, metadata, secrets });
  }

  private async deleteSecret(namespace: string | undefined, name: string): Promise<void> {
    try {
      await this.ctx.api.delete(secretsType, namespace, name);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

export const tokensController: ControllerFactory = {
  name: 'serviceaccount-token',
  make: (ctx) => new TokensController(ctx),
};
