/**
 * What the domain needs from S3-compatible object storage. Implementations turn every
 * transport or server failure into `storageUnavailable` (see errors.ts).
 */

export interface PresignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Headers the client must send exactly as given: they are signed into the URL. */
  headers: Record<string, string>;
  expiresAt: string;
}

export interface PresignPutInput {
  contentLength: number;
  contentType: string;
  /** Base64 MD5 of the body, signed as Content-MD5. */
  contentMd5?: string;
  /** Hex SHA-256 of the body, signed as x-amz-checksum-sha256 (base64). */
  sha256?: string;
  expiresInSeconds: number;
}

export interface PresignPartInput {
  contentLength: number;
  contentMd5?: string;
  expiresInSeconds: number;
}

export interface PresignGetInput {
  expiresInSeconds: number;
  /** Sets response-content-disposition with this filename. */
  filename: string;
  disposition: 'attachment' | 'inline';
  contentType: string;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface ObjectHead {
  size: number;
  etag: string;
}

export interface ObjectStore {
  /** A PUT that creates the object and cannot replace it (412 once it exists). */
  presignPut(key: string, input: PresignPutInput): Promise<PresignedRequest>;
  createMultipart(key: string, contentType: string): Promise<string>;
  presignPart(key: string, multipartId: string, partNumber: number, input: PresignPartInput): Promise<PresignedRequest>;
  /** All parts the store holds (every page), sorted by part number; null if the multipart upload is unknown. */
  listParts(key: string, multipartId: string): Promise<StoredPart[] | null>;
  completeMultipart(key: string, multipartId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;
  /**
   * Idempotent: aborting an unknown upload succeeds. False when the store refuses it (a policy,
   * a hold); a store that cannot be reached throws.
   */
  abortMultipart(key: string, multipartId: string): Promise<boolean>;
  head(key: string): Promise<ObjectHead | null>;
  /**
   * Every object whose key starts with `prefix` (all pages), by key. A listing may lag behind
   * writes on some stores: absence from it proves nothing, so callers confirm with `head`.
   */
  listObjects(prefix: string): Promise<Map<string, ObjectHead>>;
  presignGet(key: string, input: PresignGetInput): Promise<PresignedRequest>;
  /**
   * Idempotent: deleting missing keys succeeds. Returns the keys the store refused one by one
   * (an object under a legal hold, say); a request that fails as a whole throws.
   */
  deleteObjects(keys: string[]): Promise<string[]>;
  /** Throws storageUnavailable unless the bucket answers. */
  ping(): Promise<void>;
}
