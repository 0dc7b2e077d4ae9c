/** Who is calling and what they may touch: scopes and the token's path prefix. */
import { forbidden, unauthorized } from './errors.ts';
import type { FileIndex } from './file-index.ts';
import { sha256Hex } from './ids.ts';
import type { Scope, TokenRecord } from './model.ts';
import { folderOf, isWithin } from './paths.ts';

export interface Principal {
  /** Token id; null for the environment's admin token. */
  tokenId: string | null;
  name: string;
  scopes: readonly Scope[];
  /** A folder ending in "/", or null for everything. */
  prefix: string | null;
  expiresAt: string | null;
}

export interface Authenticator {
  authenticate(authorization: string | undefined, now: Date): Promise<Principal>;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Resolves bearer tokens: the optional configured admin token (compared by hash, so the
 * comparison time does not depend on the secret) and the tokens stored in the index.
 */
export function createAuthenticator(index: FileIndex, adminToken: string | null): Authenticator {
  // Hashing is the costliest step of a small request; a secret's hash never changes, so
  // remember the last few (the index is still asked every time, so revocation is immediate).
  const hashes = new Map<string, string>();
  const hashOf = async (secret: string) => {
    let hash = hashes.get(secret);
    if (hash === undefined) {
      hash = await sha256Hex(secret);
      if (hashes.size >= 1000) hashes.clear();
      hashes.set(secret, hash);
    }
    return hash;
  };
  return {
    async authenticate(authorization, now) {
      const match = authorization ? BEARER.exec(authorization) : null;
      if (!match) throw unauthorized('missing or malformed Authorization: Bearer <token> header');
      const hash = await hashOf(match[1]!);
      if (adminToken !== null && hash === (await hashOf(adminToken))) {
        return { tokenId: null, name: 'admin (DFS_ADMIN_TOKEN)', scopes: ['admin'], prefix: null, expiresAt: null };
      }
      const token = await index.getTokenByHash(hash);
      if (!token) throw unauthorized('unknown or revoked token');
      if (token.expiresAt !== null && token.expiresAt <= now.toISOString()) throw unauthorized('token expired');
      return principalOf(token);
    },
  };
}

export const principalOf = (token: TokenRecord): Principal => ({
  tokenId: token.id,
  name: token.name,
  scopes: token.scopes,
  prefix: token.prefix,
  expiresAt: token.expiresAt,
});

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (!hasScope(principal, scope)) throw forbidden(`this token lacks the "${scope}" scope`);
}

/** True when the file `path` lies inside the token's prefix. */
export const mayReach = (principal: Principal, path: string) => principal.prefix === null || isWithin(path, principal.prefix);

/** Checks scope and that the file `path` lies inside the token's prefix. */
export function requireAccess(principal: Principal, scope: Scope, path: string): void {
  requireScope(principal, scope);
  if (!mayReach(principal, path)) throw forbidden(`this token may only access paths under "${principal.prefix}"`);
}

/**
 * Checks scope and that the folder `path` lies inside the token's prefix. The prefix's own
 * folder qualifies (a token for "a/" may delete or move "a" recursively, which touches only
 * what lies under "a/"), while a file of that name stays out of reach.
 */
export function requireFolderAccess(principal: Principal, scope: Scope, path: string): void {
  requireAccess(principal, scope, folderOf(path));
}

/**
 * The range a listing of `prefix` may scan for this principal: the prefix itself when it lies
 * inside the token's folder, the token's folder when the prefix is an ancestor of it (so the
 * root of a token for "a/b/" shows the folder "a/" holding only what the token sees).
 * Forbidden when the two are disjoint.
 */
export function visibleScanPrefix(principal: Principal, prefix: string): string {
  requireScope(principal, 'read');
  const own = principal.prefix;
  if (own === null || prefix.startsWith(own)) return prefix;
  if (own.startsWith(prefix)) return own;
  throw forbidden(`this token may only list paths under "${own}"`);
}
