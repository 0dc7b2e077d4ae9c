/** Public share links: an unguessable id that redirects to a short-lived presigned GET. */
import { mayReach, requireAccess, requireScope, visibleScanPrefix, type Principal } from './access.ts';
import { servedDisposition } from './content-type.ts';
import { isoAfter, type DfsContext } from './context.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { invalidRequest, notFound } from './errors.ts';
import { newShareId } from './ids.ts';
import type { ListedShare, ShareRecord } from './model.ts';
import type { PresignedRequest } from './object-store.ts';
import { baseName, normalizePath, normalizePrefix, prefixEnd } from './paths.ts';
import { earlierExpiry } from './tokens.ts';

export interface ShareInput {
  path: unknown;
  expiresInSeconds?: number;
  disposition?: 'attachment' | 'inline';
}

/** Making or ending a link: write, and read too, since a link hands out the content (a write-only drop box may not read through one). */
function requireShareAccess(principal: Principal, path: string): void {
  requireAccess(principal, 'write', path);
  requireAccess(principal, 'read', path);
}

export async function createShare(ctx: DfsContext, principal: Principal, input: ShareInput): Promise<ShareRecord> {
  const path = normalizePath(input.path);
  requireShareAccess(principal, path);
  const { shareDefaultSeconds, shareMaxSeconds } = ctx.settings;
  const lifetime = input.expiresInSeconds ?? shareDefaultSeconds;
  if (lifetime > shareMaxSeconds) throw invalidRequest(`expiresIn must be at most ${shareMaxSeconds} seconds`);
  if (!(await ctx.index.getFile(path))) throw notFound(`no file at "${path}"`);
  const now = ctx.clock();
  const share: ShareRecord = {
    id: newShareId(),
    path,
    disposition: input.disposition ?? 'attachment',
    createdBy: principal.tokenId,
    createdAt: now.toISOString(),
    // A link never outlives the token that made it (revoking the token ends it too: see revokeToken).
    expiresAt: earlierExpiry(isoAfter(now, lifetime), principal.expiresAt),
  };
  await ctx.index.createShare(share);
  return share;
}

// The id is the link itself: a message repeating it would put a live link in the request log.
const NO_SUCH_LINK = 'no such share link (ended already, or out of this token’s reach)';

/**
 * Ends a link before it expires (one that leaked, say), for whoever could have made it: a token
 * that may read and write its path. Links of paths out of reach are answered as unknown.
 */
export async function revokeShare(ctx: DfsContext, principal: Principal, id: string): Promise<void> {
  const share = await ctx.index.getShare(id);
  if (!share || !mayReach(principal, share.path)) throw notFound(NO_SUCH_LINK);
  requireShareAccess(principal, share.path);
  if (!(await ctx.index.deleteShare(id))) throw notFound(NO_SUCH_LINK);
}

export interface ShareListInput {
  prefix?: string;
  limit?: number;
  cursor?: string;
}

export interface SharePage {
  shares: ListedShare[];
  nextCursor: string | null;
}

/**
 * The links still valid whose paths start with `prefix`, in path order, for a token that may
 * make them (read and write); a token with a folder sees the links inside it.
 */
export async function listShares(ctx: DfsContext, principal: Principal, input: ShareListInput): Promise<SharePage> {
  requireScope(principal, 'write');
  const start = visibleScanPrefix(principal, normalizePrefix(input.prefix));
  const limit = input.limit ?? 100;
  const after = input.cursor === undefined ? null : decodeCursor(input.cursor, parseShareCursor);
  const rows = await ctx.index.listShares({ start, end: prefixEnd(start), after, validAt: ctx.clock().toISOString(), limit: limit + 1 });
  const shares = rows.slice(0, limit);
  const last = shares.at(-1);
  return { shares, nextCursor: rows.length > limit && last ? encodeCursor(JSON.stringify([last.path, last.id])) : null };
}

function parseShareCursor(text: string): { path: string; id: string } {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || value.length !== 2 || !value.every((part) => typeof part === 'string')) throw new Error('not a share cursor');
  return { path: value[0] as string, id: value[1] as string };
}

/** `origin` is the request's: the link's base when no public URL is configured. */
export const shareUrl = (ctx: DfsContext, share: ShareRecord, origin: string) => `${ctx.settings.publicUrl ?? origin}/s/${share.id}`;

/** The presigned GET a valid share leads to; not_found once it expired or the file is gone. */
export async function openShare(ctx: DfsContext, id: string): Promise<PresignedRequest> {
  const share = await ctx.index.getShare(id);
  const now = ctx.clock();
  if (!share || share.expiresAt <= now.toISOString()) throw notFound('this link does not exist or has expired');
  const file = await ctx.index.getFile(share.path);
  if (!file) throw notFound('the shared file no longer exists');
  const remaining = Math.floor((Date.parse(share.expiresAt) - now.getTime()) / 1000);
  return ctx.store.presignGet(file.objectKey, {
    expiresInSeconds: Math.max(1, Math.min(ctx.settings.urlExpiresSeconds, remaining)),
    filename: baseName(file.path),
    disposition: servedDisposition(file.contentType, share.disposition),
    contentType: file.contentType,
  });
}
