/**
 * The upload engine shared by the CLI and the web UI: one presigned PUT for small files,
 * parallel parts for big ones (uniform part size, each part's length and MD5 signed), retries
 * with backoff, fresh URLs when one expired, and resume from the parts the store already
 * holds. Bytes come from an UploadIo, so the engine never holds a file in memory.
 */
import { ApiError, type DfsClient } from './api-client.ts';
import type { BatchUploadItem, CreatedUpload, FileEntry, SinglePutUpload, UploadState } from './api-types.ts';
import type { OutageWatch } from './outage.ts';
import { runPool, unlimited, type Limiter } from './pool.ts';
import { TransferError, withRetry, type RetryOptions } from './retry.ts';

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;
const AUTOMATIC_PART_COUNT = 16;

/** Where an upload's bytes come from: a Blob in a browser, a local file in the CLI. */
export interface UploadIo {
  readonly size: number;
  /**
   * The parts about to be asked for, in the order they will be: lets a source prepare several at
   * once. Called again for a next batch (the parts to send, after those checked on resume).
   */
  expect?(parts: PartRange[]): void;
  /** Bytes [start, end), ready to send; released once sent or given up. */
  part(start: number, end: number): Promise<UploadPart>;
  /** Hex SHA-256 of all the bytes: recorded at complete and checked by downloads. */
  sha256?(): Promise<string>;
  /** The whole source as one part with its SHA-256, for a file sent in one PUT, when a source can take both in one read. */
  whole?(): Promise<WholeSource>;
  /**
   * Throws if the source changed since the transfer began. A multipart upload reads it twice
   * (its parts, and the SHA-256 beside them): bytes changed in between would be committed under
   * a digest no download can match.
   */
  unchanged?(): Promise<void>;
}

export interface WholeSource {
  part: UploadPart;
  sha256?: string;
}

/** The whole source as one part and its SHA-256 (a file sent in one PUT): in one read where the source can. */
export async function wholeOf(io: UploadIo): Promise<WholeSource> {
  if (io.whole) return io.whole();
  const [part, sha256] = await Promise.all([io.part(0, io.size), io.sha256?.()]);
  return { part, sha256 };
}

export interface PartRange {
  start: number;
  end: number;
}

export interface UploadPart {
  /** Base64 MD5 of the bytes: signed as Content-MD5, so the store verifies what it gets. */
  readonly md5?: string;
  /** PUTs the bytes with exactly the signed headers (again on a retry); resolves with the ETag; throws TransferError. */
  put(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<string>;
  release(): void;
}

/** Where an interrupted multipart upload is remembered between runs. */
export interface ResumeStore {
  get(key: string): Promise<ResumeState | null>;
  set(key: string, state: ResumeState): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Waits for the key and holds it until the release it resolves with is called: runs of one
   * put at once then choose its upload in turn, the later resuming the one the first created.
   * Optional: a store only one run at a time uses (the web UI's) needs none.
   */
  claim?(key: string, signal?: AbortSignal): Promise<() => Promise<void>>;
}

export interface ResumeState {
  uploadId: string;
  path: string;
  size: number;
  partSize: number;
  /** The resume option's `source` when the state was saved. */
  source?: string;
}

export interface UploadOptions {
  contentType?: string;
  /** Files above this size go multipart (default 16 MiB, the server's own threshold). */
  multipartThreshold?: number;
  /** Part size for multipart (default: 8 MiB, raised so 10,000 parts hold the file). */
  partSize?: number;
  /** Parts in flight at once (default 8). */
  concurrency?: number;
  /** Shared with other uploads running at the same time: a limit on their parts in flight together. */
  partLimit?: Limiter;
  ifMatch?: string;
  ifNoneMatch?: '*';
  /**
   * Where an interrupted upload is remembered, under `key` (one per destination and source);
   * `source` says what the source was (its size and time), so a rerun with it changed abandons
   * the upload of the source as it was rather than leave it open on the server.
   */
  resume?: { store: ResumeStore; key: string; source?: string };
  /**
   * Abort the upload on the server when it fails for good or `signal` cancels it, so its parts
   * do not wait there for it to expire: for a caller that never resumes (the web UI, standard
   * input). Without it an interrupted upload stays open for a rerun to resume.
   */
  abortOnFailure?: boolean;
  /** Called with the bytes just confirmed by the store. */
  onProgress?: (bytes: number) => void;
  /** How the parts went: sent now, or already held by the store from an earlier run. */
  onParts?: (report: { sent: number; resumed: number; total: number }) => void;
  /** Told of each failed try that will be tried again (a part, or a call to the API). */
  onRetry?: RetryOptions['onRetry'];
  signal?: AbortSignal;
  /** Told how each request to the store went: a run of many files stops when the store is down (outage.ts). */
  outage?: OutageWatch;
}

export const DEFAULT_MULTIPART_THRESHOLD = 16 * MiB;

export function choosePartSize(size: number, requested?: number): number {
  const fitting = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  // Fewer, bigger parts cost the store less per byte (up to ~15% less CPU on Ceph from 8 to
  // 64 MiB parts, docs/benchmarks.md); about 16 parts keep a mid-sized file parallel.
  const automatic = Math.min(64 * MiB, Math.max(8 * MiB, Math.ceil(size / AUTOMATIC_PART_COUNT / MiB) * MiB));
  return Math.max(requested ?? automatic, fitting, 5 * MiB);
}

export async function uploadFile(client: DfsClient, path: string, io: UploadIo, options: UploadOptions = {}): Promise<FileEntry> {
  // A transfer stops with its store's outage even when the caller gave no signal of its own.
  const signal = options.signal ?? options.outage?.signal;
  signal?.throwIfAborted();
  const retry = { signal, onRetry: options.onRetry };
  if (io.size <= (options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD)) return uploadSingle(client, path, io, options, retry);

  const partSize = choosePartSize(io.size, options.partSize);
  const partCount = Math.ceil(io.size / partSize);
  const rangeOf = (partNumber: number): PartRange => ({ start: (partNumber - 1) * partSize, end: Math.min(partNumber * partSize, io.size) });
  const lengthOf = (partNumber: number) => rangeOf(partNumber).end - rangeOf(partNumber).start;
  const everyPart = Array.from({ length: partCount }, (_, i) => i + 1);
  // The source prepares a fresh upload's parts while the API creates it.
  const { upload, resumed } = await resumeOrCreate(client, path, io.size, partSize, options, retry, () => io.expect?.(everyPart.map(rangeOf)));
  const sized = (resumed?.parts ?? []).filter((part) => part.size === lengthOf(part.partNumber));
  const held = await sameAsLocal(io, sized, rangeOf, options.concurrency ?? 8);
  const missing = everyPart.filter((n) => !held.has(n));
  if (resumed) io.expect?.(missing.map(rangeOf));
  const { uploadId } = upload;
  const heldBytes = [...held].reduce((sum, n) => sum + lengthOf(n), 0);
  if (heldBytes > 0) options.onProgress?.(heldBytes);

  // The whole-file digest runs beside the parts, not before them.
  const digest = io.sha256?.();
  digest?.catch(() => undefined);
  const limit = options.partLimit ?? unlimited;
  // Counted as they go: another run may complete the upload before all of them are (sendParts).
  let sent = 0;
  const sha256 = await abandonIfAsked(client, () => uploadId, options, async () => {
    await sendParts(() => runPool(missing, options.concurrency ?? 8, (partNumber) => limit(async () => {
      const { start, end } = rangeOf(partNumber);
      const part = await io.part(start, end);
      try {
        await withRetry(async () => {
          const [signed] = await client.signParts(uploadId, [partNumber], part.md5 ? [part.md5] : undefined);
          await part.put(signed!.url, signed!.headers, signal);
        }, { ...retry, outage: options.outage });
      } finally {
        part.release();
      }
      sent++;
      options.onProgress?.(end - start);
    })));
    options.onParts?.({ sent, resumed: held.size, total: partCount });
    return digest ? await digest : undefined;
  }).catch(async (error: unknown) => {
    // A part the store refused as not the bytes its MD5 names was, most likely, read from a file
    // being written: said as such, not as damage on the way.
    if (error instanceof TransferError && error.storeCode === 'BadDigest') await abandonIfChanged(client, uploadId, io, options);
    throw error;
  });
  await abandonIfChanged(client, uploadId, io, options);
  const file = await abandonIfAsked(client, () => uploadId, options, () => withRetry(() => client.complete(uploadId, sha256 ? { sha256 } : {}), retry));
  await options.resume?.store.delete(options.resume.key);
  // Completed by another run that resumed the same upload: its bytes must be these.
  if (sha256 && file.sha256 && file.sha256 !== sha256) throw new Error(`another run completed this upload with other bytes (sha256 ${file.sha256}): run the command again`);
  return file;
}

/**
 * Sends the parts; a second run of the same put (two terminals, a cron job overlapping itself)
 * resumes the upload the first one saved, and whichever completes it first leaves the other's
 * parts unsignable, or refused by the store if already signed (404 NoSuchUpload on S3 and
 * Ceph). The one left then takes the committed file from complete, which answers a completed
 * upload with what it committed.
 */
async function sendParts(send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    // Complete then tells a committed upload (its file) from an aborted one (an error).
    if ((error instanceof ApiError && error.reason === 'upload_completed') || (error instanceof TransferError && error.storeCode === 'NoSuchUpload')) return;
    throw error;
  }
}

/**
 * The held parts whose bytes are the local ones. The resume key stands in for the content with
 * size and mtime, which copies that keep times (cp -p, rsync -t, tar) and disk images rewritten
 * in place defeat, so each part's ETag is checked against the MD5 of its local bytes. An ETag
 * that is not the part's plain MD5 (SSE-KMS) cannot vouch for it: that part is sent again.
 */
async function sameAsLocal(io: UploadIo, parts: UploadState['parts'], rangeOf: (partNumber: number) => PartRange, concurrency: number): Promise<Set<number>> {
  const same = new Set<number>();
  if (parts.length === 0) return same;
  io.expect?.(parts.map((part) => rangeOf(part.partNumber)));
  await runPool(parts, concurrency, async ({ partNumber, etag }) => {
    const { start, end } = rangeOf(partNumber);
    const local = await io.part(start, end);
    local.release();
    if (local.md5 && etag.replace(/^"|"$/g, '').toLowerCase() === hexOf(local.md5)) same.add(partNumber);
  });
  return same;
}

const hexOf = (base64: string) => Array.from(atob(base64), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');

/**
 * The upload to send the parts to: the one a run before this one (or beside it) saved, with the
 * parts the server holds of it, or a new one, saved for the next. Chosen holding the store's
 * claim on the key, but not while parts are sent: two puts started at the same moment would
 * otherwise both find nothing saved, and each commit a version.
 */
async function resumeOrCreate(
  client: DfsClient,
  path: string,
  size: number,
  partSize: number,
  options: UploadOptions,
  retry: RetryOptions,
  creating: () => void,
): Promise<{ upload: ResumeState; resumed: UploadState | null }> {
  const { resume } = options;
  const release = await resume?.store.claim?.(resume.key, retry.signal);
  try {
    const resumed = resume ? await resumable(client, resume, path, size, partSize, retry) : null;
    if (resumed) return { upload: resumed.saved, resumed: resumed.state };
    creating();
    const created = await withRetry(
      () => client.createUpload({ path, size, contentType: options.contentType, partSize, multipart: true, ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch }),
      retry,
    );
    const upload = { uploadId: created.id, path, size, partSize: created.partSize ?? partSize, source: resume?.source };
    await resume?.store.set(resume.key, upload);
    return { upload, resumed: null };
  } finally {
    await release?.();
  }
}

/** The upload an earlier run left and the parts it holds, if it still fits this file and the server still holds it open. */
async function resumable(
  client: DfsClient,
  resume: NonNullable<UploadOptions['resume']>,
  path: string,
  size: number,
  partSize: number,
  retry: RetryOptions,
): Promise<{ saved: ResumeState; state: UploadState } | null> {
  const saved = await resume.store.get(resume.key);
  if (!saved) return null;
  if (saved.path === path && saved.size === size && saved.partSize === partSize && saved.source === resume.source) {
    // Only the API's word that the upload is gone forgets it: a blip is tried again, and a
    // failure that outlasts the tries fails the file with the state kept for the next run.
    const state = await withRetry(() => client.uploadState(saved.uploadId), retry).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    });
    if (state?.state === 'pending' && Date.parse(state.expiresAt) > Date.now() + 60_000) return { saved, state };
  } else {
    // Left for the source as it was (changed since, or another part size): it can never be
    // completed now, and its parts are freed at once rather than when it expires.
    await client.abort(saved.uploadId).catch(() => undefined);
  }
  await resume.store.delete(resume.key);
  return null;
}

async function uploadSingle(client: DfsClient, path: string, io: UploadIo, options: UploadOptions, retry: RetryOptions): Promise<FileEntry> {
  // Small enough to hash first: both digests are then signed, and checked by stores that verify them.
  const { part, sha256 } = await wholeOf(io);
  try {
    const input: BatchUploadItem = { path, size: io.size, contentType: options.contentType, md5: part.md5, sha256, ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch };
    const upload = { current: singlePutOf(await withRetry(() => client.createUpload({ ...input, multipart: false }), retry)) };
    const file = await abandonIfAsked(client, () => upload.current.id, options, async () => {
      await putSingle(client, part, input, upload, { ...retry, outage: options.outage });
      return withRetry(() => client.complete(upload.current.id), retry);
    });
    options.onProgress?.(io.size);
    return file;
  } finally {
    part.release();
  }
}

export type SinglePut = Pick<SinglePutUpload, 'id' | 'url' | 'headers'>;

const singlePutOf = (created: CreatedUpload): SinglePut => ({ id: created.id, url: created.url!, headers: created.headers! });

/**
 * PUTs the bytes of a single-request upload, retrying. A URL that expired (a long stall, a slow
 * link) is never good again: the file gets a new upload, and the stale one is aborted (best
 * effort: it expires anyway). `upload.current` is the upload that took the bytes.
 */
export async function putSingle(client: DfsClient, part: UploadPart, input: BatchUploadItem, upload: { current: SinglePut }, retry: RetryOptions): Promise<void> {
  const renew = async () => {
    const stale = upload.current.id;
    upload.current = singlePutOf(await client.createUpload({ ...input, multipart: false }));
    // Not waited for: the retry need not pay a round trip for what expires on its own.
    void client.abort(stale).catch(() => undefined);
  };
  const put = async () => {
    try {
      await part.put(upload.current.url, upload.current.headers, retry.signal);
    } catch (error) {
      // The URL only creates its object (If-None-Match: *), under a key no other URL writes: a
      // 412 says a try whose answer was lost stored these bytes (their size and any checksum
      // are signed into it). Complete checks that the store holds them.
      if (!(error instanceof TransferError && error.status === 412)) throw error;
    }
  };
  await withRetry(put, { ...retry, renew });
}

/**
 * Runs `transfer`, the rest of an upload that exists on the server; when it fails (a cancel
 * included), aborts the upload there if the caller asked for that (`abortOnFailure`).
 */
async function abandonIfAsked<T>(client: DfsClient, uploadId: () => string, options: UploadOptions, transfer: () => Promise<T>): Promise<T> {
  try {
    return await transfer();
  } catch (error) {
    if (options.abortOnFailure) await abandon(client, uploadId(), options);
    throw error;
  }
}

/** Fails, abandoning the upload, when the source changed since it was listed: nothing of it can be committed, and a rerun starts afresh from the file as it is then. */
async function abandonIfChanged(client: DfsClient, uploadId: string, io: UploadIo, options: UploadOptions): Promise<void> {
  try {
    await io.unchanged?.();
  } catch (error) {
    await abandon(client, uploadId, options);
    throw error;
  }
}

/** Aborts the upload on the server (best effort: it expires anyway) and forgets its resume state. */
export async function abandon(client: DfsClient, uploadId: string, options: UploadOptions): Promise<void> {
  await client.abort(uploadId).catch(() => undefined);
  await options.resume?.store.delete(options.resume.key);
}
