/** Records as the index keeps them. Times are RFC 3339 UTC strings with milliseconds. */

export interface FileRecord {
  path: string;
  version: string;
  objectKey: string;
  size: number;
  contentType: string;
  sha256: string | null;
  /** When the path first got a file; kept across overwrites, moves and restores. */
  createdAt: string;
  /** When the current version was committed. */
  updatedAt: string;
}

export interface VersionRecord {
  id: string;
  path: string;
  objectKey: string;
  size: number;
  contentType: string;
  sha256: string | null;
  createdAt: string;
  /** Null while current; set when replaced or deleted. A path's history is ordered by when this happened, in commit order. */
  supersededAt: string | null;
}

export type UploadState = 'pending' | 'completed' | 'aborted';

export interface UploadRecord {
  id: string;
  path: string;
  objectKey: string;
  /** The store's multipart upload id; null for a single presigned PUT. */
  multipartId: string | null;
  size: number;
  /** Null for a single PUT. */
  partSize: number | null;
  contentType: string;
  sha256: string | null;
  ifMatch: string | null;
  ifNoneMatch: boolean;
  state: UploadState;
  /** The committed version once completed. */
  version: string | null;
  /** Token id of the creator, or null for the environment's admin token. */
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
}

export type Scope = 'read' | 'write' | 'delete' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'delete', 'admin'];

export interface TokenRecord {
  id: string;
  name: string;
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  hash: string;
  scopes: Scope[];
  /** A folder ending in `/`, or null for the whole namespace. */
  prefix: string | null;
  createdAt: string;
  /** Never later than the expiry of the token that created it. */
  expiresAt: string | null;
  /** Id of the token that created it, or null for the environment's admin token: revoking that token revokes this one. */
  createdBy: string | null;
}

export interface ShareRecord {
  id: string;
  path: string;
  disposition: 'attachment' | 'inline';
  /** Id of the token that made the link, or null for the environment's admin token: revoking that token ends the link. */
  createdBy: string | null;
  createdAt: string;
  /** Never later than the expiry of the token that made it. */
  expiresAt: string;
}

/** A link as listed: whether a file is at its path now (a link follows its path: one there again opens again). */
export interface ListedShare extends ShareRecord {
  fileExists: boolean;
}
