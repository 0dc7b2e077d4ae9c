/** The API's wire shapes (docs/api.md), for clients; no server code is imported. */

export interface FileEntry {
  path: string;
  size: number;
  contentType: string;
  sha256: string | null;
  version: string;
  createdAt: string;
  updatedAt: string;
}

export interface FileList {
  files: FileEntry[];
  folders: string[];
  nextCursor: string | null;
}

export interface SignedPart {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
}

export interface CreatedUpload {
  id: string;
  path: string;
  expiresAt: string;
  url?: string;
  method?: 'PUT';
  headers?: Record<string, string>;
  partSize?: number;
  partCount?: number;
  parts?: SignedPart[];
}

/** A batch item that failed: the code and message its single-file route would answer. */
export interface ItemError {
  error: { code: string; message: string };
}

export interface BatchUploadItem {
  path: string;
  size: number;
  contentType?: string;
  sha256?: string;
  md5?: string;
  ifMatch?: string;
  ifNoneMatch?: '*';
}

export interface SinglePutUpload {
  id: string;
  path: string;
  expiresAt: string;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

/** Per file, in request order. */
export type BatchUpload = SinglePutUpload | (ItemError & { path: string });

/** Per upload, in request order. */
export type BatchCompletion = { id: string; file: FileEntry } | (ItemError & { id: string });

export interface UploadState {
  id: string;
  path: string;
  size: number;
  contentType: string;
  partSize: number | null;
  partCount: number;
  state: 'pending' | 'completed' | 'aborted';
  expiresAt: string;
  version: string | null;
  parts: { partNumber: number; size: number; etag: string }[];
}

export interface DownloadLink {
  url: string;
  expiresAt: string;
  size: number;
  sha256: string | null;
  contentType: string;
  version: string;
}

/** Per file, in request order. */
export type BatchDownload = (DownloadLink & { path: string }) | (ItemError & { path: string });

export interface Version {
  version: string;
  size: number;
  contentType: string;
  sha256: string | null;
  createdAt: string;
  current: boolean;
}

export type Scope = 'read' | 'write' | 'delete' | 'admin';

export interface Token {
  id: string;
  name: string;
  scopes: Scope[];
  prefix: string | null;
  createdAt: string;
  /** The token that created it (revoking that one revokes this one); null for the admin token from the environment. */
  createdBy: string | null;
  expiresAt: string | null;
}

export interface Share {
  id: string;
  url: string;
  expiresAt: string;
}

export interface ShareEntry extends Share {
  path: string;
  disposition: 'attachment' | 'inline';
  createdAt: string;
  createdBy: string | null;
  /** Whether a file is at the path now: the link opens nothing until one is. */
  fileExists: boolean;
}

export interface Whoami {
  id: string | null;
  name: string;
  scopes: Scope[];
  prefix: string | null;
  expiresAt: string | null;
}
