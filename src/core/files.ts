/** File operations on the index: stat, list, download links, delete, move, copy, versions, restore. */
import { hasScope, mayReach, requireAccess, requireFolderAccess, visibleScanPrefix, type Principal } from './access.ts';
import { servedDisposition } from './content-type.ts';
import { garbageDueAt, type DfsContext } from './context.ts';
import { conflict, hasCode, invalidRequest, notFound } from './errors.ts';
import { directReads, type CommitVersionInput, type DeletePrecondition, type IndexReads } from './file-index.ts';
import { newId } from './ids.ts';
import { listPage, type ListPage } from './listing.ts';
import type { FileRecord, VersionRecord } from './model.ts';
import { baseName, folderOf, normalizeNewPath, normalizePath, normalizePrefix } from './paths.ts';

export async function statFile(ctx: DfsContext, principal: Principal, rawPath: unknown): Promise<FileRecord> {
  const path = normalizePath(rawPath);
  requireAccess(principal, 'read', path);
  const file = await ctx.index.getFile(path);
  if (!file) throw notFound(`no file at "${path}"`);
  return file;
}

export interface ListInput {
  prefix?: string;
  delimiter?: '/';
  limit?: number;
  cursor?: string;
}

export async function listFiles(ctx: DfsContext, principal: Principal, input: ListInput): Promise<ListPage> {
  const prefix = normalizePrefix(input.prefix);
  return listPage(ctx.index, {
    prefix,
    scanPrefix: visibleScanPrefix(principal, prefix),
    delimiter: input.delimiter === '/',
    limit: input.limit ?? 100,
    cursor: input.cursor ?? null,
  });
}

export interface DownloadInput {
  path: unknown;
  version?: string;
  disposition?: 'attachment' | 'inline';
}

export interface Download {
  url: string;
  expiresAt: string;
  size: number;
  sha256: string | null;
  contentType: string;
  version: string;
}

export async function createDownload(ctx: DfsContext, principal: Principal, input: DownloadInput, read: IndexReads = directReads(ctx.index)): Promise<Download> {
  const path = normalizePath(input.path);
  requireAccess(principal, 'read', path);
  const target = input.version === undefined ? await read.file(path) : await versionAt(read, path, input.version);
  if (!target) throw notFound(`no file at "${path}"`);
  const signed = await ctx.store.presignGet(target.objectKey, {
    expiresInSeconds: ctx.settings.urlExpiresSeconds,
    filename: baseName(path),
    disposition: servedDisposition(target.contentType, input.disposition ?? 'attachment'),
    contentType: target.contentType,
  });
  return {
    url: signed.url,
    expiresAt: signed.expiresAt,
    size: target.size,
    sha256: target.sha256,
    contentType: target.contentType,
    version: 'version' in target ? target.version : target.id,
  };
}

async function versionAt(read: IndexReads, path: string, id: string): Promise<VersionRecord> {
  const version = await read.version(id);
  if (!version || version.path !== path) throw notFound(`"${path}" has no version "${id}"`);
  return version;
}

export interface DeleteInput extends DeletePrecondition {
  recursive: boolean;
}

/** Returns how many files were deleted. */
export async function deletePath(ctx: DfsContext, principal: Principal, rawPath: unknown, input: DeleteInput): Promise<number> {
  const path = normalizePath(rawPath);
  const now = ctx.clock().toISOString();
  if (input.recursive) {
    requireFolderAccess(principal, 'delete', path);
    if (input.ifMatch !== null || input.ifNoneMatch !== null) throw invalidRequest('If-Match and If-None-Match cannot be combined with recursive=true');
    // A token for "a/" naming "a" means its folder: the file "a", if any, is not its to see.
    if (mayReach(principal, path) && (await ctx.index.getFile(path))) {
      await ctx.index.deleteFile(path, { ifMatch: null, ifNoneMatch: null }, now);
      return 1;
    }
    const count = await ctx.index.deleteFolder(folderOf(path), now);
    if (count === 0) throw notFound(`nothing at "${path}"`);
    return count;
  }
  requireAccess(principal, 'delete', path);
  try {
    await ctx.index.deleteFile(path, input, now);
    return 1;
  } catch (error) {
    if (hasCode(error, 'not_found') && (await ctx.index.hasFilesUnder(folderOf(path)))) {
      throw conflict('is_folder', `"${path}" is a folder: delete it with recursive=true`);
    }
    throw error;
  }
}

export interface MoveInput {
  from: unknown;
  to: unknown;
  overwrite?: boolean;
}

export interface MoveResult {
  moved: number;
  file: FileRecord | null;
}

export async function movePath(ctx: DfsContext, principal: Principal, input: MoveInput): Promise<MoveResult> {
  const from = normalizePath(input.from);
  const to = normalizeNewPath(input.to);
  requireFolderAccess(principal, 'write', from);
  requireFolderAccess(principal, 'write', to);
  if (from === to) throw invalidRequest('from and to are the same path');
  const now = ctx.clock();
  const move = {
    overwrite: input.overwrite === true,
    now: now.toISOString(),
    keepVersions: ctx.settings.keepVersions,
    garbageDueAt: garbageDueAt(ctx, now),
  };
  // As for delete: a token for "a/" naming "a" means its folder, never the file "a".
  if (mayReach(principal, from) && (await ctx.index.getFile(from))) {
    requireAccess(principal, 'write', to);
    const moved = await ctx.index.moveFile({ ...move, from, to });
    // A write-only token (a drop box) may tidy what it cannot read, not learn its size or digest.
    return { moved: 1, file: hasScope(principal, 'read') ? moved : null };
  }
  const fromFolder = folderOf(from);
  if (!(await ctx.index.hasFilesUnder(fromFolder))) throw notFound(`nothing at "${from}"`);
  if (to.startsWith(fromFolder)) throw invalidRequest(`cannot move "${from}" into itself`);
  return { moved: await ctx.index.moveFolder({ ...move, from: fromFolder, to: folderOf(to) }), file: null };
}

export async function copyFile(ctx: DfsContext, principal: Principal, input: MoveInput): Promise<FileRecord> {
  const from = normalizePath(input.from);
  const to = normalizeNewPath(input.to);
  requireAccess(principal, 'read', from);
  requireAccess(principal, 'write', to);
  if (from === to) throw invalidRequest('from and to are the same path');
  // The version read may stop being the source's before the commit (replaced past
  // DFS_KEEP_VERSIONS, moved away): the copy then takes whatever is current there now, as it
  // would have had it come a moment later.
  for (let attempt = 1; ; attempt++) {
    const source = await ctx.index.getFile(from);
    if (!source) {
      if (await ctx.index.hasFilesUnder(folderOf(from))) throw conflict('is_folder', `"${from}" is a folder: copy copies one file`);
      throw notFound(`no file at "${from}"`);
    }
    try {
      return await commitExistingBytes(ctx, to, { versionId: source.version, path: from, gone: `"${from}" changed while it was copied` }, source, input.overwrite === true ? null : 'conflict');
    } catch (error) {
      // Not found at a commit with no upload: the source version, nothing else.
      if (attempt >= COPY_ATTEMPTS || !hasCode(error, 'not_found')) throw error;
    }
  }
}

/** Reads of a copy's source: each failed one lost a race with a commit to that path, so a few always do. */
const COPY_ATTEMPTS = 3;

export async function listVersions(ctx: DfsContext, principal: Principal, rawPath: unknown): Promise<VersionRecord[]> {
  const path = normalizePath(rawPath);
  requireAccess(principal, 'read', path);
  const versions = await ctx.index.listVersions(path);
  if (versions.length === 0) throw notFound(`"${path}" has no versions`);
  return versions;
}

export async function restoreVersion(
  ctx: DfsContext,
  principal: Principal,
  input: { path: unknown; version: string },
): Promise<FileRecord> {
  const path = normalizePath(input.path);
  requireAccess(principal, 'write', path);
  const version = await versionAt(directReads(ctx.index), path, input.version);
  // Gone by the commit (moved away with its file, dropped past DFS_KEEP_VERSIONS): as if asked a moment later.
  return commitExistingBytes(ctx, path, { versionId: version.id, path, gone: `"${path}" has no version "${version.id}"` }, version, null);
}

/** A new current version at `path` pointing at bytes an existing version already holds. */
function commitExistingBytes(
  ctx: DfsContext,
  path: string,
  from: NonNullable<CommitVersionInput['source']>,
  source: Pick<FileRecord, 'objectKey' | 'size' | 'contentType' | 'sha256'>,
  ifNoneMatch: 'conflict' | null,
): Promise<FileRecord> {
  const now = ctx.clock();
  return ctx.index.commitVersion({
    version: {
      id: newId(now),
      path,
      objectKey: source.objectKey,
      size: source.size,
      contentType: source.contentType,
      sha256: source.sha256,
      createdAt: now.toISOString(),
      supersededAt: null,
    },
    source: from,
    ifNoneMatch,
    keepVersions: ctx.settings.keepVersions,
    garbageDueAt: garbageDueAt(ctx, now),
  });
}

