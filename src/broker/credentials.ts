// Who may connect to the embedded broker: the master's own client (a secret made at each
// start, never written anywhere) and nodes holding a token with role `node` for that node.
// The username of a node is its node name; its password is its API token.
import { timingSafeEqual } from 'node:crypto';
import type { Principal } from './broker.js';

export const masterUsername = 'bramble-master';

/** What the broker needs from the API's token authenticator. */
export interface TokenVerifier {
  authenticate(token: string): { roles: readonly string[]; node?: string } | undefined;
}

export function brokerAuthenticator(tokens: TokenVerifier, masterSecret: string): (username: string, password: string) => Promise<Principal | undefined> {
  const secret = Buffer.from(masterSecret);
  return async (username, password) => {
    if (username === masterUsername) {
      const given = Buffer.from(password);
      return given.length === secret.length && timingSafeEqual(given, secret) ? { kind: 'master' } : undefined;
    }
    const user = tokens.authenticate(password);
    if (user?.roles.includes('node') && user.node === username) return { kind: 'node', node: username };
    return undefined;
  };
}
