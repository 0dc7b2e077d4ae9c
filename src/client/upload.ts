/**
 * The upload engine shared by the CLI and the web UI: one presigned PUT for small files,
 * parallel parts for big ones (uniform part size, each part's length and MD5 signed), retries
 * with backoff, fresh URLs when one expired, and resume from the parts the store already
 * holds. It reads bytes through Blob slices, so memory stays bounded by the parts in flight.
 */
import type { DfsClient } from './api-client.ts';
import type { FileEntry } from './api-types.ts';
import { runPool } from './pool.ts';
import { TransferError, withRetry } from './retry.ts';

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;

/** Where an interrupted multipart upload is remembered between runs. */
export interface ResumeStore {
  get(key: string): Promise<ResumeState | null>;
  set(key: string, state: ResumeState): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface ResumeState {
  uploadId: string;
  path: string;
  size: number;
  partSize: number;
}

export interface UploadOptions {
  contentType?: string;
  /** Files above this size go multipart (default 16 MiB, the server's own threshold). */
  multipartThreshold?: number;
  /** Part size for multipart (default: 8 MiB, raised so 10,000 parts hold the file). */
  partSize?: number;
  /** Parts in flight at once (default 8). */
  concurrency?: number;
  ifMatch?: string;
  ifNoneMatch?: '*';
  /** Base64 MD5 of some bytes: signed as Content-MD5 so the store verifies each part. */
  md5?: (bytes: Uint8Array) => string | Promise<string>;
  /** Hex SHA-256 of the whole file, computed by the caller (it can stream it while parts go). */
  sha256?: () => Promise<string>;
  resume?: { store: ResumeStore; key: string };
  /** Called with the bytes just confirmed by the store. */
  onProgress?: (bytes: number) => void;
  /** How the parts went: sent now, or already held by the store from an earlier run. */
  onParts?: (report: { sent: number; resumed: number; total: number }) => void;
  signal?: AbortSignal;
}

/** What is uploaded: a Blob, a File, or Node's fs.openAsBlob() all fit. */
export type UploadSource = Pick<Blob, 'size' | 'slice'>;

export function choosePartSize(size: number, requested?: number): number {
  const fitting = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  return Math.max(requested ?? 8 * MiB, fitting, 5 * MiB);
}

async function put(url: string, headers: Record<string, string>, body: Blob | Uint8Array<ArrayBuffer>, signal?: AbortSignal): Promise<string> {
  const response = await fetch(url, { method: 'PUT', headers, body, signal });
  const text = await response.text();
  if (!response.ok) throw new TransferError(`the store refused the upload: HTTP ${response.status} ${text.slice(0, 200)}`, response.status, text);
  return response.headers.get('etag') ?? '';
}

export async function uploadFile(client: DfsClient, path: string, source: UploadSource, options: UploadOptions = {}): Promise<FileEntry> {
  const threshold = options.multipartThreshold ?? 16 * MiB;
  const retry = { signal: options.signal };
  if (source.size <= threshold) return uploadSingle(client, path, source, options);

  const partSize = choosePartSize(source.size, options.partSize);
  const partCount = Math.ceil(source.size / partSize);
  const digest = options.sha256?.();
  digest?.catch(() => undefined);

  let upload = await resumable(client, path, source.size, partSize, options);
  const held = new Set<number>();
  if (upload) {
    for (const part of (await client.uploadState(upload.uploadId)).parts) {
      if (part.size === Math.min(partSize, source.size - (part.partNumber - 1) * partSize)) held.add(part.partNumber);
    }
  } else {
    const created = await withRetry(
      () => client.createUpload({ path, size: source.size, contentType: options.contentType, partSize, multipart: true, ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch }),
      retry,
    );
    upload = { uploadId: created.id, path, size: source.size, partSize: created.partSize ?? partSize };
    await options.resume?.store.set(options.resume.key, upload);
  }
  const { uploadId } = upload;
  const heldBytes = [...held].reduce((sum, n) => sum + Math.min(partSize, source.size - (n - 1) * partSize), 0);
  if (heldBytes > 0) options.onProgress?.(heldBytes);

  const missing = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !held.has(n));
  await runPool(missing, options.concurrency ?? 8, async (partNumber) => {
    const start = (partNumber - 1) * partSize;
    const blob = source.slice(start, Math.min(start + partSize, source.size));
    // With an MD5 to sign, the part is read once to hash it and sent from those bytes.
    const bytes = options.md5 ? new Uint8Array(await blob.arrayBuffer()) : null;
    const md5 = bytes && options.md5 ? await options.md5(bytes) : undefined;
    await withRetry(async () => {
      const [signed] = await client.signParts(uploadId, [partNumber], md5 ? [md5] : undefined);
      await put(signed!.url, signed!.headers, bytes ?? blob, options.signal);
    }, retry);
    options.onProgress?.(blob.size);
  });

  options.onParts?.({ sent: missing.length, resumed: held.size, total: partCount });
  const sha256 = digest ? await digest : undefined;
  const file = await withRetry(() => client.complete(uploadId, sha256 ? { sha256 } : {}), retry);
  await options.resume?.store.delete(options.resume.key);
  return file;
}

/** The upload to continue, if an earlier run left one that still fits this file. */
async function resumable(client: DfsClient, path: string, size: number, partSize: number, options: UploadOptions): Promise<ResumeState | null> {
  if (!options.resume) return null;
  const saved = await options.resume.store.get(options.resume.key);
  if (!saved) return null;
  if (saved.path === path && saved.size === size && saved.partSize === partSize) {
    const state = await client.uploadState(saved.uploadId).catch(() => null);
    if (state?.state === 'pending' && Date.parse(state.expiresAt) > Date.now() + 60_000) return saved;
  }
  await options.resume.store.delete(options.resume.key);
  return null;
}

async function uploadSingle(client: DfsClient, path: string, source: UploadSource, options: UploadOptions): Promise<FileEntry> {
  const blob = source.slice(0, source.size);
  const bytes = options.md5 ? new Uint8Array(await blob.arrayBuffer()) : null;
  const md5 = bytes && options.md5 ? await options.md5(bytes) : undefined;
  // Small enough to hash first: the digest is then signed and checked by stores that verify it.
  const sha256 = options.sha256 ? await options.sha256() : undefined;
  return withRetry(
    async () => {
      const created = await client.createUpload({ path, size: source.size, contentType: options.contentType, md5, sha256, multipart: false, ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch });
      await put(created.url!, created.headers!, bytes ?? blob, options.signal);
      const file = await client.complete(created.id);
      options.onProgress?.(source.size);
      return file;
    },
    { signal: options.signal },
  );
}
