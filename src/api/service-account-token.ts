// Service-account token Secrets as Kubernetes shapes them, shared by the token controller (which
// writes them) and the API server (which authenticates their tokens).
export const serviceAccountTokenType = 'kubernetes.io/service-account-token';
export const serviceAccountNameAnnotation = 'kubernetes.io/service-account.name';
export const serviceAccountUidAnnotation = 'kubernetes.io/service-account.uid';
/**
 * On a ServiceAccount: `editor` lets its token write (never Secrets) in its own namespace;
 * absent or anything else, the token only reads there (see docs/api.md).
 */
export const serviceAccountRoleAnnotation = 'bramble.dev/service-account-role';
/** Service-account tokens are `sa-<id>.<secret>`: the prefix keeps their ids apart from minted tokens'. */
export const serviceAccountTokenPrefix = 'sa-';

export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
