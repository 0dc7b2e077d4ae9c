/**
 * Uploads: create (presign), more part URLs, state for resume, complete (verify with the
 * store, then commit atomically) and abort.
 */
import { hasScope, mayReach, requireAccess, type Principal } from './access.ts';
import { garbageDueAt, isoAfter, uncommittedGarbageDueAt, type DfsContext } from './context.ts';
import { guessContentType } from './content-type.ts';
import { directReads, type CommitVersionInput, type IndexReads } from './file-index.ts';
import { conflict, hasCode, invalidRequest, notFound, preconditionFailed, tooLarge, uploadIncomplete } from './errors.ts';
import { newId, newObjectKey } from './ids.ts';
import type { FileRecord, UploadRecord, VersionRecord } from './model.ts';
import type { ObjectHead, PresignedRequest, StoredPart } from './object-store.ts';
import { partLength, planParts, type PartPlan } from './part-plan.ts';
import { ancestorsOf, folderOf, normalizeNewPath } from './paths.ts';
import { S3_MAX_SINGLE_PUT } from './settings.ts';

export interface CreateUploadInput {
  path: unknown;
  size: number;
  contentType?: string;
  sha256?: string;
  md5?: string;
  partSize?: number;
  multipart?: boolean;
  ifMatch?: string;
  ifNoneMatch?: '*';
}

export interface PartUrl {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
}

export type CreatedUpload =
  | { kind: 'single'; upload: UploadRecord; request: PresignedRequest }
  | { kind: 'multipart'; upload: UploadRecord; plan: PartPlan; parts: PartUrl[] };

export async function createUpload(ctx: DfsContext, principal: Principal, input: CreateUploadInput): Promise<CreatedUpload> {
  const now = ctx.clock();
  const { path, multipart } = checkCreate(ctx, principal, input);
  const upload = await newUpload(ctx, principal, input, path, newObjectKey(), now);

  if (!multipart) {
    const request = await presignSingle(ctx, upload, input.md5, now);
    await ctx.index.createUploads([upload]);
    return { kind: 'single', upload, request };
  }

  const plan = planParts(input.size, input.partSize, ctx.settings.defaultPartSizeBytes);
  upload.partSize = plan.partSize;
  upload.multipartId = await ctx.store.createMultipart(upload.objectKey, upload.contentType);
  await ctx.index.createUploads([upload]);
  const first = Array.from({ length: Math.min(plan.partCount, ctx.settings.initialPartUrls) }, (_, i) => i + 1);
  const parts = await signParts(ctx, upload, plan, first, undefined, now);
  return { kind: 'multipart', upload, plan, parts };
}

/** What create checks before asking the index or the store: path, access, size and options. */
export function checkCreate(ctx: DfsContext, principal: Principal, input: CreateUploadInput): { path: string; multipart: boolean } {
  const path = normalizeNewPath(input.path);
  requireAccess(principal, 'write', path);
  const { settings } = ctx;
  if (input.size > settings.maxFileBytes) throw tooLarge(`size exceeds the maximum of ${settings.maxFileBytes} bytes`);
  const multipart = input.multipart ?? input.size > settings.singlePutMaxBytes;
  if (!multipart && input.size > S3_MAX_SINGLE_PUT) throw tooLarge('a single PUT holds at most 5 GiB: use multipart');
  if (!multipart && input.partSize !== undefined) throw invalidRequest('partSize applies to multipart uploads only');
  if (multipart && input.md5 !== undefined) throw invalidRequest('md5 applies to single PUTs; send md5s per part instead');
  if (input.ifMatch !== undefined && input.ifNoneMatch !== undefined) throw invalidRequest('ifMatch and ifNoneMatch exclude each other');
  return { path, multipart };
}

/**
 * What a new file's name depends on in the index. Create reads it to fail fast; complete checks
 * again, atomically.
 */
export interface NameLookup {
  /** The file at `path`, or null. */
  fileAt(path: string): Promise<FileRecord | null>;
  /** Whether files lie under `path`, as a folder. */
  isFolder(path: string): Promise<boolean>;
  /** A file where one of `path`'s folders must be, or null. */
  fileAbove(path: string): Promise<FileRecord | null>;
}

/**
 * The folders above a batch's paths are held in memory and sent to the index at once. Usual
 * paths come nowhere near this; 1000 distinct paths of 1 KiB, 500 folders deep, would hold some
 * 250 million characters, past a Worker's 128 MB.
 */
export const MAX_LOOKUP_FOLDER_CHARS = 4 * 1024 * 1024;

/**
 * The lookup of one or many new paths (a batch's), in two queries however many and however
 * deep: the files at every path named and at every distinct folder above one, and which of the
 * paths are folders (D1 counts each query). invalid_request when their folders pass
 * MAX_LOOKUP_FOLDER_CHARS.
 */
export function nameLookup(ctx: DfsContext, paths: string[]): NameLookup {
  const named = [...new Set(paths)];
  const asked = new Set(named);
  let folderChars = 0;
  for (const path of named) {
    for (const folder of ancestorsOf(path)) {
      if (asked.has(folder)) continue;
      asked.add(folder);
      folderChars += folder.length;
    }
    if (folderChars > MAX_LOOKUP_FOLDER_CHARS) {
      throw invalidRequest(`the folders above these paths add up to more than ${MAX_LOOKUP_FOLDER_CHARS} characters, more than one request checks at once: send fewer files per batch`);
    }
  }
  // Asked when first needed, so a query no item awaits never fails unheard.
  let files: Promise<Map<string, FileRecord>> | undefined;
  let folders: Promise<Set<string>> | undefined;
  const filesByPath = () => (files ??= ctx.index.filesAt([...asked]).then((found) => new Map(found.map((file) => [file.path, file]))));
  return {
    fileAt: async (path) => (await filesByPath()).get(path) ?? null,
    isFolder: async (path) => (await (folders ??= ctx.index.foldersWithFiles(named.map(folderOf)).then((found) => new Set(found)))).has(folderOf(path)),
    fileAbove: async (path) => {
      const found = await filesByPath();
      return ancestorsOf(path).map((folder) => found.get(folder)).find((file) => file !== undefined) ?? null;
    },
  };
}

/** The record of a new pending upload at `path`, once the preconditions it names hold now. */
export async function newUpload(
  ctx: DfsContext,
  principal: Principal,
  input: CreateUploadInput,
  path: string,
  objectKey: string,
  now: Date,
  lookup: NameLookup = nameLookup(ctx, [path]),
): Promise<UploadRecord> {
  await checkCommitWouldHold(path, input.ifMatch ?? null, input.ifNoneMatch === '*', lookup);
  return {
    id: newId(now),
    path,
    objectKey,
    multipartId: null,
    size: input.size,
    partSize: null,
    contentType: input.contentType ?? guessContentType(path),
    sha256: input.sha256 ?? null,
    ifMatch: input.ifMatch ?? null,
    ifNoneMatch: input.ifNoneMatch === '*',
    state: 'pending',
    version: null,
    createdBy: principal.tokenId,
    createdAt: now.toISOString(),
    expiresAt: isoAfter(now, ctx.settings.uploadExpiresSeconds),
  };
}

/** The presigned PUT of a single-request upload. */
export function presignSingle(ctx: DfsContext, upload: UploadRecord, md5: string | undefined, now: Date): Promise<PresignedRequest> {
  return ctx.store.presignPut(upload.objectKey, {
    contentLength: upload.size,
    contentType: upload.contentType,
    contentMd5: md5,
    sha256: upload.sha256 ?? undefined,
    expiresInSeconds: urlLifetime(ctx, upload, now),
  });
}

/** Fails fast on what would fail at commit anyway; complete checks again atomically. */
async function checkCommitWouldHold(path: string, ifMatch: string | null, ifNoneMatch: boolean, lookup: NameLookup) {
  const [current, underIt, fileAbove] = await Promise.all([lookup.fileAt(path), lookup.isFolder(path), lookup.fileAbove(path)]);
  if (ifNoneMatch && current) throw preconditionFailed(`"${path}" already exists`);
  if (ifMatch === '*' && !current) throw preconditionFailed(`"${path}" does not exist`);
  if (ifMatch !== null && ifMatch !== '*' && current?.version !== ifMatch) throw preconditionFailed(`"${path}" is not at version "${ifMatch}"`);
  if (underIt) throw conflict('name_clash', `"${path}" is a folder`);
  if (fileAbove) throw conflict('name_clash', `"${fileAbove.path}" is a file, so it cannot hold "${path}"`);
}

/** URLs never outlive the upload they belong to. */
function urlLifetime(ctx: DfsContext, upload: UploadRecord, now: Date): number {
  const untilExpiry = Math.floor((Date.parse(upload.expiresAt) - now.getTime()) / 1000);
  return Math.max(1, Math.min(ctx.settings.urlExpiresSeconds, untilExpiry));
}

function planOf(upload: UploadRecord): PartPlan {
  const partSize = upload.partSize!;
  return { partSize, partCount: Math.max(1, Math.ceil(upload.size / partSize)) };
}

function signParts(
  ctx: DfsContext,
  upload: UploadRecord,
  plan: PartPlan,
  partNumbers: number[],
  md5s: string[] | undefined,
  now: Date,
): Promise<PartUrl[]> {
  const expiresInSeconds = urlLifetime(ctx, upload, now);
  return Promise.all(
    partNumbers.map(async (partNumber, i) => {
      const signed = await ctx.store.presignPart(upload.objectKey, upload.multipartId!, partNumber, {
        contentLength: partLength(upload.size, plan, partNumber),
        contentMd5: md5s?.[i],
        expiresInSeconds,
      });
      return { partNumber, url: signed.url, headers: signed.headers };
    }),
  );
}

/** The upload, if it exists and the principal may act on its path with `scope`. */
async function loadUpload(
  ctx: DfsContext,
  principal: Principal,
  id: string,
  scope: 'read' | 'write',
  read: IndexReads = directReads(ctx.index),
): Promise<UploadRecord> {
  const upload = await read.upload(id);
  if (!upload) throw notFound(`no upload "${id}"`);
  requireAccess(principal, scope, upload.path);
  return upload;
}

/** An upload still accepting bytes: pending and not expired. */
async function loadOpenUpload(ctx: DfsContext, principal: Principal, id: string, now: Date): Promise<UploadRecord> {
  const upload = await loadUpload(ctx, principal, id, 'write');
  if (upload.state === 'aborted') throw notFound(`upload "${id}" was aborted`);
  if (upload.state === 'completed') throw conflict('upload_completed', `upload "${id}" is already completed`);
  if (expired(upload, now)) throw notFound(`upload "${id}" expired`);
  return upload;
}

/** Past its expiresAt an upload can no longer be completed, whatever cleanup has made of it yet. */
const expired = (upload: UploadRecord, now: Date) => upload.expiresAt <= now.toISOString();

export const MAX_PARTS_PER_REQUEST = 1000;

export async function signMoreParts(
  ctx: DfsContext,
  principal: Principal,
  id: string,
  input: { partNumbers: number[]; md5s?: string[] },
): Promise<PartUrl[]> {
  const now = ctx.clock();
  const upload = await loadOpenUpload(ctx, principal, id, now);
  if (upload.multipartId === null) throw invalidRequest('this upload is a single PUT: it has no parts');
  const plan = planOf(upload);
  const { partNumbers, md5s } = input;
  if (partNumbers.length === 0 || partNumbers.length > MAX_PARTS_PER_REQUEST) {
    throw invalidRequest(`partNumbers must hold 1 to ${MAX_PARTS_PER_REQUEST} numbers`);
  }
  if (new Set(partNumbers).size !== partNumbers.length) throw invalidRequest('partNumbers must not repeat');
  const outside = partNumbers.find((n) => n < 1 || n > plan.partCount);
  if (outside !== undefined) throw invalidRequest(`part ${outside} is outside 1..${plan.partCount}`);
  if (md5s !== undefined && md5s.length !== partNumbers.length) throw invalidRequest('md5s must have one entry per part number');
  return signParts(ctx, upload, plan, partNumbers, md5s, now);
}

export interface UploadState {
  upload: UploadRecord;
  partCount: number;
  parts: StoredPart[];
}

export async function getUploadState(ctx: DfsContext, principal: Principal, id: string): Promise<UploadState> {
  // The uploader resumes with it, and a write-only (drop box) token uploads too.
  const upload = await loadUpload(ctx, principal, id, hasScope(principal, 'write') ? 'write' : 'read');
  const partCount = upload.partSize === null ? 1 : planOf(upload).partCount;
  // Expired, it can no longer be completed: it reads as the aborted upload cleanup makes of it.
  if (upload.state === 'pending' && expired(upload, ctx.clock())) return { upload: { ...upload, state: 'aborted' }, partCount, parts: [] };
  if (upload.state !== 'pending') return { upload, partCount, parts: [] };
  if (upload.multipartId !== null) {
    return { upload, partCount, parts: (await ctx.store.listParts(upload.objectKey, upload.multipartId)) ?? [] };
  }
  const head = await ctx.store.head(upload.objectKey);
  return { upload, partCount, parts: head ? [{ partNumber: 1, size: head.size, etag: head.etag }] : [] };
}

export interface CompleteInput {
  parts?: { partNumber: number; etag: string }[];
  sha256?: string;
}

export async function completeUpload(ctx: DfsContext, principal: Principal, id: string, input: CompleteInput): Promise<FileRecord> {
  const target = await uploadToComplete(ctx, principal, id, input.sha256, ctx.clock());
  if ('committed' in target) return target.committed;
  return finishUpload(ctx, principal, target.upload, input);
}

/** An open upload to verify and commit, or, for a retried complete, what the first one committed. */
export type CompletionTarget = { upload: UploadRecord } | { committed: FileRecord };

export async function uploadToComplete(
  ctx: DfsContext,
  principal: Principal,
  id: string,
  sha256: string | undefined,
  now: Date,
  read: IndexReads = directReads(ctx.index),
): Promise<CompletionTarget> {
  const upload = await loadUpload(ctx, principal, id, 'write', read);
  if (upload.state === 'completed') return { committed: await committedFile(read, upload, principal) };
  if (upload.state === 'aborted') throw notFound(`upload "${id}" was aborted`);
  if (expired(upload, now)) throw notFound(`upload "${id}" expired`);
  if (sha256 !== undefined && upload.sha256 !== null && sha256 !== upload.sha256) {
    throw uploadIncomplete(`sha256 ${sha256} differs from the ${upload.sha256} declared at create`);
  }
  return { upload };
}

/** Where a single PUT's object is looked up: a HEAD, unless the caller listed it already. */
export type ObjectFinder = (key: string) => Promise<ObjectHead | null>;

/** How a complete reaches the store and the index: a call each, unless a batch gathers them. */
export interface CompletionRoute {
  find: ObjectFinder;
  commit: (input: CommitVersionInput) => Promise<FileRecord>;
  read: IndexReads;
}

const alone = (ctx: DfsContext): CompletionRoute => ({
  find: (key) => ctx.store.head(key),
  commit: (input) => ctx.index.commitVersion(input),
  read: directReads(ctx.index),
});

/**
 * Verifies an open upload's bytes with the store (assembling multipart ones), then commits it.
 * A complete or an abort racing this one may settle the upload first: the answer is then what
 * a complete sent after it would get, so a client retrying a complete is never told its
 * committed upload is gone.
 */
export async function finishUpload(
  ctx: DfsContext,
  principal: Principal,
  upload: UploadRecord,
  input: CompleteInput,
  route: CompletionRoute = alone(ctx),
): Promise<FileRecord> {
  try {
    return await verifyAndCommit(ctx, upload, input, route);
  } catch (error) {
    // A store that failed to assemble a multipart upload aborted meanwhile (Ceph may answer 500
    // then) is no outage to report: the upload is gone either way. A single PUT has no assembly.
    const rereadFor = upload.multipartId === null ? (['not_found', 'upload_incomplete'] as const) : (['not_found', 'upload_incomplete', 'storage_unavailable'] as const);
    if (!rereadFor.some((code) => hasCode(error, code))) throw error;
    const settled = await route.read.upload(upload.id).catch(() => {
      throw error;
    });
    if (settled?.state === 'completed') return committedFile(route.read, settled, principal);
    if (settled?.state === 'aborted') throw notFound(`upload "${upload.id}" is not open any more (aborted or expired)`);
    throw error;
  }
}

async function verifyAndCommit(ctx: DfsContext, upload: UploadRecord, input: CompleteInput, route: CompletionRoute): Promise<FileRecord> {
  checkClaimedParts(upload, input.parts);
  if (upload.multipartId === null) checkStoredSize(upload, await route.find(upload.objectKey));
  else await assembleMultipart(ctx, upload, input.parts);

  const committedAt = ctx.clock();
  const version: VersionRecord = {
    id: newId(committedAt),
    path: upload.path,
    objectKey: upload.objectKey,
    size: upload.size,
    contentType: upload.contentType,
    // A client hashing while it uploads can only name the digest at the end.
    sha256: upload.sha256 ?? input.sha256 ?? null,
    createdAt: committedAt.toISOString(),
    supersededAt: null,
  };
  try {
    return await route.commit({
      version,
      uploadId: upload.id,
      ifMatch: upload.ifMatch,
      ifNoneMatch: upload.ifNoneMatch ? 'precondition_failed' : null,
      keepVersions: ctx.settings.keepVersions,
      garbageDueAt: garbageDueAt(ctx, committedAt),
    });
  } catch (error) {
    // The bytes can never be committed now: hand them to cleanup once the upload's URLs
    // have expired, so that a PUT retried with them is collected too.
    if (hasCode(error, 'precondition_failed') || hasCode(error, 'conflict')) {
      await ctx.index.abortUpload(upload.id, uncommittedGarbageDueAt(ctx, committedAt));
    }
    throw error;
  }
}

/**
 * A retried complete answers with what the first one committed. Where the file went since is
 * told only to a token that may reach it there: to another, the version as it was committed.
 */
async function committedFile(read: IndexReads, upload: UploadRecord, principal: Principal): Promise<FileRecord> {
  const version = upload.version === null ? null : await read.version(upload.version);
  if (!version) throw notFound(`upload "${upload.id}" was completed, but its version no longer exists`);
  const visible = mayReach(principal, version.path);
  const current = visible ? await read.file(version.path) : null;
  if (current?.version === version.id) return current;
  return {
    path: visible ? version.path : upload.path,
    version: version.id,
    objectKey: version.objectKey,
    size: version.size,
    contentType: version.contentType,
    sha256: version.sha256,
    createdAt: version.createdAt,
    updatedAt: version.createdAt,
  };
}

async function verifySingleObject(ctx: DfsContext, upload: UploadRecord): Promise<void> {
  checkStoredSize(upload, await ctx.store.head(upload.objectKey));
}

function checkStoredSize(upload: UploadRecord, head: ObjectHead | null): void {
  if (!head) throw uploadIncomplete('no bytes have reached the store yet: PUT the file to the upload URL first');
  if (head.size !== upload.size) {
    throw uploadIncomplete(`the store holds ${head.size} bytes but ${upload.size} were declared`);
  }
}

async function assembleMultipart(
  ctx: DfsContext,
  upload: UploadRecord,
  claimed: { partNumber: number; etag: string }[] | undefined,
): Promise<void> {
  const stored = await ctx.store.listParts(upload.objectKey, upload.multipartId!);
  if (stored === null) {
    // Unknown to the store: an earlier complete may have assembled it before its commit failed.
    await verifySingleObject(ctx, upload);
    return;
  }
  const plan = planOf(upload);
  checkParts(upload, plan, stored, claimed);
  try {
    await ctx.store.completeMultipart(
      upload.objectKey,
      upload.multipartId!,
      stored.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    );
  } catch (error) {
    // A try whose answer was lost (a cut or silent connection) may have assembled the object,
    // and the store then refuses the next try (NoSuchUpload, or a 500 on Ceph).
    // Only this upload writes its key, so an object of the declared size is that assembly.
    await verifySingleObject(ctx, upload).catch(() => {
      throw error;
    });
    return;
  }
  await verifySingleObject(ctx, upload);
}

/**
 * A parts list vouches for each part once, as S3's own complete demands (InvalidPartOrder): a
 * part named twice would leave another unchecked. A single PUT has no parts to vouch for.
 */
function checkClaimedParts(upload: UploadRecord, claimed: CompleteInput['parts']): void {
  if (claimed === undefined) return;
  if (upload.multipartId === null) throw invalidRequest('parts apply to multipart uploads only: this upload is a single PUT');
  const named = new Set<number>();
  for (const { partNumber } of claimed) {
    if (named.has(partNumber)) throw invalidRequest(`parts names part ${partNumber} twice`);
    named.add(partNumber);
  }
}

const bareEtag = (etag: string) => etag.replace(/^W\//, '').replace(/"/g, '');

/** Refuses before assembling anything when the stored parts do not add up to the plan. */
function checkParts(
  upload: UploadRecord,
  plan: PartPlan,
  stored: StoredPart[],
  claimed: { partNumber: number; etag: string }[] | undefined,
): void {
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const missing: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!byNumber.has(n)) missing.push(n);
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', …' : '');
    throw uploadIncomplete(`${missing.length} of ${plan.partCount} parts are missing (${shown})`);
  }
  const extra = stored.find((p) => p.partNumber > plan.partCount);
  if (extra) throw uploadIncomplete(`part ${extra.partNumber} is beyond the ${plan.partCount} planned parts`);
  for (const part of stored) {
    const expected = partLength(upload.size, plan, part.partNumber);
    if (part.size !== expected) {
      throw uploadIncomplete(`part ${part.partNumber} holds ${part.size} bytes but should hold ${expected}`);
    }
  }
  if (claimed === undefined) return;
  if (claimed.length !== plan.partCount) {
    throw uploadIncomplete(`parts lists ${claimed.length} parts but the upload has ${plan.partCount}`);
  }
  for (const part of claimed) {
    const held = byNumber.get(part.partNumber);
    if (!held) throw uploadIncomplete(`part ${part.partNumber} is not part of this upload`);
    if (bareEtag(held.etag) !== bareEtag(part.etag)) {
      throw uploadIncomplete(`part ${part.partNumber}: the store holds ETag ${held.etag}, not ${part.etag}`);
    }
  }
}

export async function abortUpload(ctx: DfsContext, principal: Principal, id: string): Promise<void> {
  const upload = await loadUpload(ctx, principal, id, 'write');
  if (upload.state === 'completed') throw conflict('upload_completed', `upload "${id}" is already completed`);
  // The garbage row outlives every URL handed out for the upload and the PUTs they began: a
  // PUT landing after the abort recreates the object, and cleanup must still find it then.
  if (!(await ctx.index.abortUpload(id, uncommittedGarbageDueAt(ctx, ctx.clock())))) {
    // Not pending any more: aborted already (nothing to do), or a racing complete committed it.
    if ((await ctx.index.getUpload(id))?.state === 'completed') throw conflict('upload_completed', `upload "${id}" is already completed`);
    return;
  }
  // Free the bytes now as well, best effort: cleanup retries when the row falls due.
  try {
    if (upload.multipartId !== null) await ctx.store.abortMultipart(upload.objectKey, upload.multipartId);
    await ctx.store.deleteObjects([upload.objectKey]);
  } catch (error) {
    if (!hasCode(error, 'storage_unavailable')) throw error;
  }
}
