/** Index records to the API's JSON shapes. */
import type { FileRecord, ListedShare, TokenRecord, UploadRecord, VersionRecord } from '../core/model.ts';
import type { PresignedRequest } from '../core/object-store.ts';

export const fileEntry = (file: FileRecord) => ({
  path: file.path,
  size: file.size,
  contentType: file.contentType,
  sha256: file.sha256,
  version: file.version,
  createdAt: file.createdAt,
  updatedAt: file.updatedAt,
});

export const singlePutUpload = (upload: UploadRecord, request: PresignedRequest) => ({
  id: upload.id,
  path: upload.path,
  expiresAt: upload.expiresAt,
  url: request.url,
  method: 'PUT' as const,
  headers: request.headers,
});

export const versionEntry = (version: VersionRecord) => ({
  version: version.id,
  size: version.size,
  contentType: version.contentType,
  sha256: version.sha256,
  createdAt: version.createdAt,
  current: version.supersededAt === null,
});

export const tokenEntry = (token: TokenRecord) => ({
  id: token.id,
  name: token.name,
  scopes: token.scopes,
  prefix: token.prefix,
  createdAt: token.createdAt,
  createdBy: token.createdBy,
  expiresAt: token.expiresAt,
});

export const shareEntry = (share: ListedShare, url: string) => ({
  id: share.id,
  url,
  path: share.path,
  disposition: share.disposition,
  createdAt: share.createdAt,
  createdBy: share.createdBy,
  expiresAt: share.expiresAt,
  fileExists: share.fileExists,
});
