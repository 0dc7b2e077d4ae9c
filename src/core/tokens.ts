/** Access tokens: issued once, stored as SHA-256, scoped, optionally limited to a folder. */
import { requireScope, type Principal } from './access.ts';
import type { DfsContext } from './context.ts';
import { isoAfter } from './context.ts';
import { forbidden, invalidRequest, notFound } from './errors.ts';
import { newId, newTokenSecret, sha256Hex } from './ids.ts';
import type { Scope, TokenRecord } from './model.ts';
import { folderOf, normalizePath } from './paths.ts';

export interface TokenInput {
  name: string;
  scopes: Scope[];
  prefix?: string | null;
  expiresInSeconds?: number;
}

export interface IssuedToken {
  token: TokenRecord;
  secret: string;
}

/**
 * Who issues a token: it never outlives its creator (its expiry is clamped to the creator's), and
 * goes when its creator is revoked. A null id: the environment's admin token, or the runtime
 * issuing its first one.
 */
export type TokenCreator = Pick<Principal, 'tokenId' | 'expiresAt'>;

const ROOT: TokenCreator = { tokenId: null, expiresAt: null };

/** The earlier of two expiries, null standing for never. */
export function earlierExpiry(a: string, b: string | null): string;
export function earlierExpiry(a: string | null, b: string | null): string | null;
export function earlierExpiry(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) < Date.parse(a) ? b : a;
}

/** Issues a token without checking who asks: for the runtime's first admin token and for `createToken`. */
export async function issueToken(ctx: DfsContext, input: TokenInput, creator: TokenCreator = ROOT): Promise<IssuedToken> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw invalidRequest('name must be 1 to 200 characters');
  if (input.scopes.length === 0) throw invalidRequest('scopes must name at least one scope');
  const now = ctx.clock();
  const secret = newTokenSecret();
  const prefix = input.prefix === undefined || input.prefix === null || input.prefix === '' ? null : folderOf(normalizePath(input.prefix.replace(/\/$/, '')));
  const token: TokenRecord = {
    id: newId(now),
    name,
    hash: await sha256Hex(secret),
    scopes: [...new Set(input.scopes)],
    prefix,
    createdAt: now.toISOString(),
    expiresAt: earlierExpiry(input.expiresInSeconds === undefined ? null : isoAfter(now, input.expiresInSeconds), creator.expiresAt),
    createdBy: creator.tokenId,
  };
  await ctx.index.createToken(token);
  return { token, secret };
}

export async function createToken(ctx: DfsContext, principal: Principal, input: TokenInput): Promise<IssuedToken> {
  requireScope(principal, 'admin');
  const own = principal.prefix;
  if (own !== null) {
    const requested = input.prefix ? folderOf(normalizePath(input.prefix.replace(/\/$/, ''))) : null;
    if (requested === null || !requested.startsWith(own)) throw forbidden(`this token may only create tokens under "${own}"`);
  }
  // A token made by a token expires with it at the latest (whatever `expiresIn` asks), and is
  // revoked with it: what a token creates cannot outlast the token.
  return issueToken(ctx, input, principal);
}

export async function listTokens(ctx: DfsContext, principal: Principal): Promise<TokenRecord[]> {
  requireScope(principal, 'admin');
  return visibleTo(principal, await ctx.index.listTokens());
}

/** The tokens within the principal's prefix. */
function visibleTo(principal: Principal, tokens: TokenRecord[]): TokenRecord[] {
  const own = principal.prefix;
  return own === null ? tokens : tokens.filter((t) => t.prefix !== null && t.prefix.startsWith(own));
}

/**
 * Revokes the token, the tokens it created (recursively) and the share links any of them made.
 * Not the tokens above the caller (its creator, theirs...): a token handed out within a folder
 * would otherwise end the one that handed it out, and every other token and link that one made.
 */
export async function revokeToken(ctx: DfsContext, principal: Principal, id: string): Promise<void> {
  requireScope(principal, 'admin');
  const tokens = await ctx.index.listTokens();
  if (!visibleTo(principal, tokens).some((t) => t.id === id)) throw notFound(`no token "${id}"`);
  if (ancestorsOf(principal.tokenId, tokens).has(id)) {
    throw forbidden('a token cannot revoke the token that created it, nor any above that one');
  }
  if (!(await ctx.index.deleteToken(id))) throw notFound(`no token "${id}"`);
}

function ancestorsOf(tokenId: string | null, tokens: readonly TokenRecord[]): Set<string> {
  const creatorOf = new Map(tokens.map((t) => [t.id, t.createdBy]));
  const ancestors = new Set<string>();
  // A cycle cannot be made through the API; the set stops the walk should the index hold one.
  for (let at = tokenId === null ? null : (creatorOf.get(tokenId) ?? null); at !== null && !ancestors.has(at); at = creatorOf.get(at) ?? null) ancestors.add(at);
  return ancestors;
}
