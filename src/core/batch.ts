/**
 * Batches: create, complete and download up to 1000 files per request, so that many small files
 * cost a handful of API round trips. Each item succeeds or fails alone, with the error the
 * single-file route would give; the scope is checked once for the whole request.
 */
import { requireScope, type Principal } from './access.ts';
import type { DfsContext } from './context.ts';
import { DfsError, invalidRequest } from './errors.ts';
import type { CommitVersionInput, FileIndex, IndexReads } from './file-index.ts';
import { gathered } from './gathered.ts';
import { createDownload, type Download } from './files.ts';
import { batchPrefixOf, newBatchKeyPrefix, newBatchObjectKey } from './ids.ts';
import type { FileRecord, UploadRecord } from './model.ts';
import type { ObjectHead, ObjectStore, PresignedRequest } from './object-store.ts';
import { normalizePath } from './paths.ts';
import {
  checkCreate,
  finishUpload,
  nameLookup,
  newUpload,
  presignSingle,
  uploadToComplete,
  type CompletionRoute,
  type CreateUploadInput,
  type ObjectFinder,
} from './uploads.ts';

export const MAX_BATCH_ITEMS = 1000;

/** One item's outcome: a batch answers every item, in input order, with a value or an error. */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; error: DfsError };

/** Domain failures become the item's error; anything else is a bug and fails the request. */
async function settle<T>(run: () => Promise<T>): Promise<ItemResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof DfsError) return { ok: false, error };
    throw error;
  }
}

export type BatchUploadInput = Omit<CreateUploadInput, 'partSize' | 'multipart'>;

export interface CreatedSingleUpload {
  upload: UploadRecord;
  request: PresignedRequest;
}

export async function createBatchUploads(
  ctx: DfsContext,
  principal: Principal,
  items: BatchUploadInput[],
): Promise<ItemResult<CreatedSingleUpload>[]> {
  requireScope(principal, 'write');
  const now = ctx.clock();
  const keys = batchKeys(items.length);
  // Every item is a single PUT, as `multipart: false` asks of POST /v1/uploads: the single-PUT
  // threshold only picks a default, and the client picked.
  const paths = await Promise.all(items.map((item) => settle(async () => checkCreate(ctx, principal, { ...item, multipart: false }).path)));
  // The index is asked a fixed number of queries per batch, not per item (D1 counts each).
  const lookup = nameLookup(ctx, paths.flatMap((path) => (path.ok ? [path.value] : [])));
  const prepared = await Promise.all(
    items.map((item, i) => {
      const path = paths[i]!;
      if (!path.ok) return path;
      return settle(async () => {
        const upload = await newUpload(ctx, principal, item, path.value, keys[i]!, now, lookup);
        return { upload, request: await presignSingle(ctx, upload, item.md5, now) };
      });
    }),
  );
  await ctx.index.createUploads(prepared.flatMap((result) => (result.ok ? [result.value.upload] : [])));
  return prepared;
}

/** Distinct fresh keys under one new batch prefix. */
function batchKeys(count: number): string[] {
  const prefix = newBatchKeyPrefix();
  const keys = new Set<string>();
  while (keys.size < count) keys.add(newBatchObjectKey(prefix));
  return [...keys];
}

export interface BatchCompleteInput {
  id: string;
  sha256?: string;
}

export async function completeBatch(ctx: DfsContext, principal: Principal, items: BatchCompleteInput[]): Promise<ItemResult<FileRecord>[]> {
  requireScope(principal, 'write');
  if (new Set(items.map((item) => item.id)).size !== items.length) throw invalidRequest('uploads must not name an upload twice');
  const now = ctx.clock();
  const read = gatheredReads(ctx.index);
  const targets = await Promise.all(items.map((item) => settle(() => uploadToComplete(ctx, principal, item.id, item.sha256, now, read))));
  const singlePuts = targets.flatMap((t) => (t.ok && 'upload' in t.value && t.value.upload.multipartId === null ? [t.value.upload.objectKey] : []));
  const route = { find: listingFinder(ctx.store, singlePuts), commit: gatheredCommits(ctx.index), read };
  return Promise.all(
    targets.map((target, i) => {
      if (!target.ok) return target;
      const { value } = target;
      if ('committed' in value) return { ok: true as const, value: value.committed };
      return settle(() => finishUpload(ctx, principal, value.upload, { sha256: items[i]!.sha256 }, route));
    }),
  );
}

/**
 * Commits asked for in one turn (those the same listing verified) go to the index together,
 * each still atomic and failing alone: one call instead of one per file.
 */
function gatheredCommits(index: FileIndex): CompletionRoute['commit'] {
  const commit = gathered(async (inputs: CommitVersionInput[]) => {
    const results = await index.commitVersions(inputs);
    return new Map(inputs.map((input, i) => [input, results[i]!]));
  });
  return async (input) => {
    const result = (await commit(input))!;
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  };
}

/** Reads of one record each, made by a batch's items, gathered into a query per turn. */
function gatheredReads(index: FileIndex): IndexReads {
  return {
    upload: gathered(async (ids: string[]) => new Map((await index.getUploads(ids)).map((upload) => [upload.id, upload]))),
    version: gathered(async (ids: string[]) => new Map((await index.getVersions(ids)).map((version) => [version.id, version]))),
    file: gathered(async (paths: string[]) => new Map((await index.filesAt(paths)).map((file) => [file.path, file]))),
  };
}

/**
 * Finds single-PUT objects with one listing per batch prefix that two or more of `keys` share
 * (a lone key costs a HEAD either way). A key the listing does not show gets a HEAD too, so a
 * listing that lags behind recent writes never fails a complete.
 */
function listingFinder(store: ObjectStore, keys: string[]): ObjectFinder {
  const counts = new Map<string, number>();
  for (const key of keys) {
    const prefix = batchPrefixOf(key);
    if (prefix !== null) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  const listings = new Map<string, Promise<Map<string, ObjectHead>>>();
  return async (key) => {
    const prefix = batchPrefixOf(key);
    if (prefix === null || counts.get(prefix)! < 2) return store.head(key);
    let listing = listings.get(prefix);
    if (!listing) listings.set(prefix, (listing = store.listObjects(prefix)));
    return (await listing).get(key) ?? store.head(key);
  };
}

export interface BatchDownloadInput {
  files: { path: string; version?: string }[];
  disposition?: 'attachment' | 'inline';
}

export async function createBatchDownloads(
  ctx: DfsContext,
  principal: Principal,
  input: BatchDownloadInput,
): Promise<ItemResult<Download & { path: string }>[]> {
  requireScope(principal, 'read');
  const read = gatheredReads(ctx.index);
  return Promise.all(
    input.files.map((file) => settle(async () => ({ path: normalizePath(file.path), ...(await createDownload(ctx, principal, { ...file, disposition: input.disposition }, read)) }))),
  );
}
