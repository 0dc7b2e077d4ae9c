/**
 * What the domain needs from the file index. Implementations keep every multi-step change in
 * one atomic transaction and report a failed guard as the matching DfsError
 * (precondition_failed, conflict, not_found); they never lock across calls, because several
 * API instances may share one index.
 */
import type { FileRecord, ListedShare, ShareRecord, TokenRecord, UploadRecord, VersionRecord } from './model.ts';

/** A page of the share links still valid at `validAt` whose paths lie in a half-open range, in (path, id) order. */
export interface ShareRange {
  start: string;
  /** Exclusive upper bound; null for none. */
  end: string | null;
  /** Where the previous page ended. */
  after: { path: string; id: string } | null;
  validAt: string;
  limit: number;
}

/** A half-open range scan over file paths in byte order. */
export interface PathRange {
  /** Lower bound. */
  start: string;
  /** Whether a path equal to `start` is included. */
  startInclusive: boolean;
  /** Exclusive upper bound; null for none. */
  end: string | null;
  limit: number;
  /**
   * For a delimited listing: how many code points of each path the prefix takes. A path with a
   * "/" beyond them stands for its folder, whose other paths are passed over, so that a row is
   * a file or a folder and a page of folders costs one query however many files they hold.
   */
  groupAfter?: number;
}

export interface CommitVersionInput {
  /** The version to make current at `version.path`. */
  version: VersionRecord;
  /** When committing an upload: it must still be pending, and is marked completed. */
  uploadId?: string;
  /**
   * When the bytes come from an existing version (copy, restore): it must still exist, and still
   * belong to `path` (a version moved away with its file is no longer that path's).
   */
  source?: { versionId: string; path: string; gone: string };
  /** Commit only if this version is current (else precondition_failed). */
  ifMatch?: string | null;
  /** Commit only if the path has no file: the error to raise otherwise. */
  ifNoneMatch?: 'precondition_failed' | 'conflict' | null;
  /** Keep at most this many versions of the path (the current one included). */
  keepVersions: number;
  /** Objects that become unreferenced may be deleted from this time on. */
  garbageDueAt: string;
}

export interface MoveInput {
  from: string;
  to: string;
  overwrite: boolean;
  now: string;
  keepVersions: number;
  garbageDueAt: string;
}

export interface GarbageItem {
  objectKey: string;
  /** Set when the object is an unfinished multipart upload to abort. */
  multipartId: string | null;
}

/** What must hold for a delete to go ahead, checked in the same step as the delete (null: nothing). */
export interface DeletePrecondition {
  /** A version that must be current; `*` (as in HTTP) asks only that the file exists, as any delete does. */
  ifMatch: string | null;
  /** A version that must not be current; `*` that no file exists, so a delete with it never goes ahead. */
  ifNoneMatch: string | null;
}

export interface FileIndex {
  getFile(path: string): Promise<FileRecord | null>;
  /** The files at any of `paths`, in one query (a path's folders: D1 counts each query). */
  filesAt(paths: string[]): Promise<FileRecord[]>;
  listFiles(range: PathRange): Promise<FileRecord[]>;
  /** True when at least one file lies under `folder` (which ends with `/`). */
  hasFilesUnder(folder: string): Promise<boolean>;
  /** Those of `folders` (each ending with `/`) that hold at least one file, in one query. */
  foldersWithFiles(folders: string[]): Promise<string[]>;

  /**
   * Makes a new version current, atomically: checks the upload or source version, the
   * preconditions and that no file/folder name clash arises; supersedes the previous version,
   * prunes versions beyond `keepVersions` and queues their objects as garbage.
   */
  commitVersion(input: CommitVersionInput): Promise<FileRecord>;
  /**
   * Commits each as commitVersion does, each succeeding or failing alone, in one round trip
   * to the index when none is refused (a batch's: D1 counts each call).
   */
  commitVersions(inputs: CommitVersionInput[]): Promise<PromiseSettledResult<FileRecord>[]>;

  /** Removes the file (not_found / precondition_failed); its versions are kept as history. */
  deleteFile(path: string, precondition: DeletePrecondition, now: string): Promise<void>;
  /** Removes every file under `folder` (ends with `/`); returns how many. */
  deleteFolder(folder: string, now: string): Promise<number>;
  /** Renames one file; versions follow it. Returns the moved record. */
  moveFile(input: MoveInput): Promise<FileRecord>;
  /**
   * Moves every file under `from` (folder ending `/`) to `to` (folder ending `/`); returns how
   * many. The histories of the files moved follow them; those of files deleted under `from` stay.
   */
  moveFolder(input: MoveInput): Promise<number>;

  /**
   * Newest first (the current version, then the others by when they stopped being current, in
   * commit order, not clock order), including those of a deleted file still retained.
   */
  listVersions(path: string): Promise<VersionRecord[]>;
  getVersion(id: string): Promise<VersionRecord | null>;
  /** The versions among `ids` that exist, in one query. */
  getVersions(ids: string[]): Promise<VersionRecord[]>;

  /** Records new uploads, in one statement however many (a batch's: D1 counts each query). */
  createUploads(uploads: UploadRecord[]): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | null>;
  /** The uploads among `ids` that exist, in one query. */
  getUploads(ids: string[]): Promise<UploadRecord[]>;
  /** Pending -> aborted, queuing its bytes as garbage; false if it was not pending. */
  abortUpload(id: string, garbageDueAt: string): Promise<boolean>;
  /** Aborts up to `limit` pending uploads that expired before `cutoff`; returns how many. */
  expireUploads(cutoff: string, garbageDueAt: string, limit: number): Promise<number>;
  /** Forgets finished (completed or aborted) uploads that expired before `cutoff`. */
  purgeUploads(cutoff: string, limit: number): Promise<number>;

  /** Drops superseded versions older than `cutoff`, queuing unreferenced objects; returns how many. */
  pruneVersions(cutoff: string, garbageDueAt: string, limit: number): Promise<number>;
  /** Garbage due by `now` that nothing references any more. */
  dueGarbage(now: string, limit: number): Promise<GarbageItem[]>;
  forgetGarbage(objectKeys: string[]): Promise<void>;
  /** Puts garbage the store refused to delete back in the queue, due again at `dueAt`. */
  postponeGarbage(objectKeys: string[], dueAt: string): Promise<void>;

  /** Records a token; unauthorized when `createdBy` names a token that no longer exists (revoked meanwhile). */
  createToken(token: TokenRecord): Promise<void>;
  getTokenByHash(hash: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  /**
   * Deletes the token, every token it created, recursively, and every share link any of them
   * made, in one transaction. False when no such token exists.
   */
  deleteToken(id: string): Promise<boolean>;

  /** Records a link; unauthorized when `createdBy` names a token that no longer exists (revoked meanwhile). */
  createShare(share: ShareRecord): Promise<void>;
  getShare(id: string): Promise<ShareRecord | null>;
  /** False when no such share exists. */
  deleteShare(id: string): Promise<boolean>;
  /** Shares still valid at `validAt` whose path lies in [start, end), in (path, id) order, after `after`. */
  listShares(range: ShareRange): Promise<ListedShare[]>;
  /** Forgets shares that expired before `cutoff`; returns how many. */
  purgeShares(cutoff: string, limit: number): Promise<number>;

  /** Throws unless the index answers a trivial query. */
  ping(): Promise<void>;
}

/** The index's reads of one record: a query each, unless a batch gathers them (gathered.ts). */
export interface IndexReads {
  upload(id: string): Promise<UploadRecord | null>;
  version(id: string): Promise<VersionRecord | null>;
  file(path: string): Promise<FileRecord | null>;
}

export const directReads = (index: FileIndex): IndexReads => ({
  upload: (id) => index.getUpload(id),
  version: (id) => index.getVersion(id),
  file: (path) => index.getFile(path),
});
