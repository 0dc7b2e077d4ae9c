/**
 * ObjectStore over S3-compatible storage: the AWS SDK for every call that talks to the store,
 * the project's own SigV4 presigner for the URLs handed to clients (the hot path).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  type ServerSideEncryption,
  type _Object,
} from '@aws-sdk/client-s3';
import { storageUnavailable, uploadIncomplete } from '../core/errors.ts';
import type {
  ObjectHead,
  ObjectStore,
  PresignedRequest,
  PresignGetInput,
  PresignPartInput,
  PresignPutInput,
  StoredPart,
} from '../core/object-store.ts';
import { encodeKeyPath, encodeRfc3986, SigV4Presigner, type SigningCrypto } from './sigv4-presigner.ts';

export interface S3StoreConfig {
  /** For MinIO, Ceph, R2…; unset for AWS S3. */
  endpoint?: string;
  /** The endpoint written into presigned URLs, when clients reach the store by another address. */
  publicEndpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  forcePathStyle: boolean;
  /** Prepended to every object key, so several deployments can share a bucket. */
  keyPrefix?: string;
  sse?: { type: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  /**
   * `s3rver`: the embedded server's deviations (query encoding in signatures, no trailing slash
   * on bucket-level paths, ListObjects version 1 for listings it cannot page in version 2);
   * `s3` (default) for every real store.
   */
  dialect?: 's3' | 's3rver';
  /** Primitives for presigning; WebCrypto when unset (Workers), node:crypto on Node. */
  signingCrypto?: SigningCrypto;
  /**
   * Node: seconds a call may take to connect, or go without a byte, before it fails (and is
   * tried again). Without it a store that accepts connections and never answers holds every
   * request that needs it forever. Silence, not duration: a store may take minutes to complete
   * a big multipart upload, sending spaces meanwhile. Workers' fetch has its own limits.
   */
  timeoutSeconds?: number;
}

const DELETE_BATCH = 1000;

const hexToBase64 = (hex: string) => {
  let binary = '';
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(binary);
};

/** RFC 6266 Content-Disposition with an ASCII fallback and the exact UTF-8 name. */
export function contentDisposition(disposition: 'attachment' | 'inline', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encodeRfc3986(filename)}`;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** The store answered, and said no: trying again later may help, trying again now would not. */
function isRefusal(error: unknown): boolean {
  const status = statusOf(error);
  return error instanceof S3ServiceException && status !== undefined && status < 500 && status !== 429;
}

/** The S3 error code of a failed SDK call (NoSuchUpload, NotImplemented, ...), or ''. */
export function s3ErrorName(error: unknown): string {
  return (error as { name?: string; Code?: string })?.name ?? (error as { Code?: string })?.Code ?? '';
}

export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #presigner: SigV4Presigner;
  readonly #config: S3StoreConfig;
  readonly #publicBase: string;

  constructor(config: S3StoreConfig) {
    this.#config = config;
    this.#client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken },
      // The SDK's default checksums break presigned PUTs and streamed bodies on several stores.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      ...(config.timeoutSeconds ? { requestHandler: { connectionTimeout: config.timeoutSeconds * 1000, socketTimeout: config.timeoutSeconds * 1000 } } : {}),
    });
    // s3rver checks signatures of bucket-level resources ("/bucket?delete", "/bucket?prefix=")
    // without the trailing slash the SDK sends. Dropping a trailing slash from every path is
    // safe: no object key dfs makes ends in "/" (core/ids.ts).
    if (config.dialect === 's3rver') {
      this.#client.middlewareStack.add(
        (next) => (args) => {
          const request = args.request as { path: string };
          request.path = request.path.replace(/\/$/, '');
          return next(args);
        },
        { step: 'build' },
      );
    }
    this.#presigner = new SigV4Presigner(config, config.region, {
      queryEncoding: config.dialect === 's3rver' ? 'uri-component' : 'rfc3986',
      crypto: config.signingCrypto,
    });
    this.#publicBase = this.#baseUrl(config.publicEndpoint ?? config.endpoint);
  }

  /** Where objects live as seen by clients: path-style `endpoint/bucket` or `bucket.host`. */
  #baseUrl(endpoint: string | undefined): string {
    const { bucket, region, forcePathStyle } = this.#config;
    const url = new URL(endpoint ?? (region === 'us-east-1' ? 'https://s3.amazonaws.com' : `https://s3.${region}.amazonaws.com`));
    const base = url.pathname.replace(/\/+$/, '');
    if (forcePathStyle) return `${url.protocol}//${url.host}${base}/${encodeRfc3986(bucket)}`;
    return `${url.protocol}//${bucket}.${url.host}${base}`;
  }

  #key(key: string): string {
    return (this.#config.keyPrefix ?? '') + key;
  }

  #objectUrl(key: string): string {
    return `${this.#publicBase}/${encodeKeyPath(this.#key(key))}`;
  }

  #sseHeaders(): Record<string, string> {
    const sse = this.#config.sse;
    if (!sse) return {};
    const headers: Record<string, string> = { 'x-amz-server-side-encryption': sse.type };
    if (sse.kmsKeyId) headers['x-amz-server-side-encryption-aws-kms-key-id'] = sse.kmsKeyId;
    return headers;
  }

  async #presign(method: 'GET' | 'PUT', key: string, headers: Record<string, string>, query: Record<string, string>, expiresInSeconds: number): Promise<PresignedRequest> {
    const date = new Date();
    const url = await this.#presigner.presign({ method, url: this.#objectUrl(key), headers, query, expiresInSeconds, date });
    return { url, method, headers, expiresAt: new Date(date.getTime() + expiresInSeconds * 1000).toISOString() };
  }

  presignPut(key: string, input: PresignPutInput): Promise<PresignedRequest> {
    const headers: Record<string, string> = {
      'Content-Length': String(input.contentLength),
      'Content-Type': input.contentType,
      // Create only: once the object is there (and committed, and maybe copied), the URL cannot
      // rewrite its bytes for the rest of its life.
      'If-None-Match': '*',
      ...this.#sseHeaders(),
    };
    if (input.contentMd5) headers['Content-MD5'] = input.contentMd5;
    if (input.sha256) headers['x-amz-checksum-sha256'] = hexToBase64(input.sha256);
    return this.#presign('PUT', key, headers, { 'x-id': 'PutObject' }, input.expiresInSeconds);
  }

  presignPart(key: string, multipartId: string, partNumber: number, input: PresignPartInput): Promise<PresignedRequest> {
    const headers: Record<string, string> = { 'Content-Length': String(input.contentLength) };
    if (input.contentMd5) headers['Content-MD5'] = input.contentMd5;
    return this.#presign('PUT', key, headers, { partNumber: String(partNumber), uploadId: multipartId, 'x-id': 'UploadPart' }, input.expiresInSeconds);
  }

  presignGet(key: string, input: PresignGetInput): Promise<PresignedRequest> {
    return this.#presign(
      'GET',
      key,
      {},
      {
        'response-content-disposition': contentDisposition(input.disposition, input.filename),
        'response-content-type': input.contentType,
        'x-id': 'GetObject',
      },
      input.expiresInSeconds,
    );
  }

  async #send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.#translate(what, error);
    }
  }

  #translate(what: string, error: unknown): Error {
    const status = statusOf(error);
    const name = s3ErrorName(error);
    if (['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'NoSuchUpload'].includes(name)) {
      return uploadIncomplete(`the store refused to assemble the upload (${name})`);
    }
    if (isRefusal(error)) {
      return storageUnavailable(`the object store refused ${what} (${status} ${name})`, error);
    }
    // A transport error names internal addresses: it stays in the cause, for the logs only.
    const answer = error instanceof S3ServiceException && status !== undefined ? `: ${status} ${name}` : '';
    return storageUnavailable(`the object store is unavailable (${what} failed${answer})`, error);
  }

  async createMultipart(key: string, contentType: string): Promise<string> {
    const sse = this.#config.sse;
    const result = await this.#send('CreateMultipartUpload', () =>
      this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.#config.bucket,
          Key: this.#key(key),
          ContentType: contentType,
          ...(sse ? { ServerSideEncryption: sse.type as ServerSideEncryption, SSEKMSKeyId: sse.kmsKeyId } : {}),
        }),
      ),
    );
    if (!result.UploadId) throw storageUnavailable('the object store returned no upload id');
    return result.UploadId;
  }

  async listParts(key: string, multipartId: string): Promise<StoredPart[] | null> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListPartsCommand({ Bucket: this.#config.bucket, Key: this.#key(key), UploadId: multipartId, PartNumberMarker: marker }),
        );
        for (const p of page.Parts ?? []) parts.push({ partNumber: p.PartNumber!, size: p.Size ?? 0, etag: p.ETag ?? '' });
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchUpload' || statusOf(error) === 404) return null;
      throw this.#translate('ListParts', error);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(key: string, multipartId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
    await this.#send('CompleteMultipartUpload', () =>
      this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#config.bucket,
          Key: this.#key(key),
          UploadId: multipartId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      ),
    );
  }

  async abortMultipart(key: string, multipartId: string): Promise<boolean> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#config.bucket, Key: this.#key(key), UploadId: multipartId }));
      return true;
    } catch (error) {
      if (s3ErrorName(error) === 'NoSuchUpload' || statusOf(error) === 404) return true;
      if (isRefusal(error)) return false;
      throw this.#translate('AbortMultipartUpload', error);
    }
  }

  async head(key: string): Promise<ObjectHead | null> {
    try {
      const result = await this.#client.send(new HeadObjectCommand({ Bucket: this.#config.bucket, Key: this.#key(key) }));
      return { size: result.ContentLength ?? 0, etag: result.ETag ?? '' };
    } catch (error) {
      if (statusOf(error) === 404 || s3ErrorName(error) === 'NotFound' || s3ErrorName(error) === 'NoSuchKey') return null;
      throw this.#translate('HeadObject', error);
    }
  }

  async listObjects(prefix: string): Promise<Map<string, ObjectHead>> {
    const found = new Map<string, ObjectHead>();
    const stripped = (this.#config.keyPrefix ?? '').length;
    let after: string | undefined;
    do {
      const page = await this.#listPage(this.#key(prefix), after);
      for (const o of page.Contents ?? []) found.set(o.Key!.slice(stripped), { size: o.Size ?? 0, etag: o.ETag ?? '' });
      after = page.IsTruncated ? page.Contents?.at(-1)?.Key : undefined;
    } while (after !== undefined);
    return found;
  }

  /**
   * One page of a listing, resuming after the key `after`. s3rver cannot page ListObjectsV2 (its
   * continuation tokens use DES, which OpenSSL 3 refuses), so it gets version 1.
   */
  #listPage(prefix: string, after: string | undefined, maxKeys?: number): Promise<{ Contents?: _Object[]; IsTruncated?: boolean }> {
    const bucket = this.#config.bucket;
    const page = { Bucket: bucket, Prefix: prefix, MaxKeys: maxKeys };
    if (this.#config.dialect !== 's3rver') {
      return this.#send('ListObjectsV2', () => this.#client.send(new ListObjectsV2Command({ ...page, StartAfter: after })));
    }
    return this.#send('ListObjects', () => this.#client.send(new ListObjectsCommand({ ...page, Marker: after })));
  }

  async deleteObjects(keys: string[]): Promise<string[]> {
    const refused: string[] = [];
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const ours = new Map(keys.slice(i, i + DELETE_BATCH).map((key) => [this.#key(key), key]));
      const result = await this.#send('DeleteObjects', () =>
        this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.#config.bucket,
            Delete: { Objects: [...ours.keys()].map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      for (const error of result.Errors ?? []) {
        if (error.Code === 'NoSuchKey') continue;
        const key = error.Key === undefined ? undefined : ours.get(error.Key);
        // A refusal that names no key of ours cannot be kept for later: the run fails instead.
        if (key === undefined) throw storageUnavailable(`the object store could not delete an object (${error.Code})`);
        refused.push(key);
      }
    }
    return refused;
  }

  /**
   * A one-key listing under our key prefix: it proves the store answers, accepts our
   * credentials, holds the bucket and lets us list it, as every batch complete needs. A HEAD of
   * an absent key could not tell a missing bucket from a missing key (a HEAD has no error body).
   */
  async ping(): Promise<void> {
    await this.#listPage(this.#key('.dfs-ping'), undefined, 1);
  }
}
