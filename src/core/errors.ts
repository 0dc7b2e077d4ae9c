/** The API's error codes; the HTTP layer maps each to its status in one place. */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_path'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'too_large'
  | 'upload_incomplete'
  | 'storage_unavailable'
  | 'internal';

/**
 * Why a request conflicts, for clients that act on it (the CLI offers -f only for
 * `target_exists`): the message is for people and may change.
 */
export const CONFLICT_REASONS = ['target_exists', 'name_clash', 'is_folder', 'upload_completed'] as const;
export type ConflictReason = (typeof CONFLICT_REASONS)[number];

/** Every failure the domain reports is one of these; anything else is a bug (`internal`). */
export class DfsError extends Error {
  readonly code: ErrorCode;
  readonly reason: ConflictReason | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; reason?: ConflictReason }) {
    super(message, options);
    this.name = 'DfsError';
    this.code = code;
    this.reason = options?.reason;
  }
}

export const invalidRequest = (message: string) => new DfsError('invalid_request', message);
export const invalidPath = (message: string) => new DfsError('invalid_path', message);
export const unauthorized = (message = 'a valid bearer token is required') => new DfsError('unauthorized', message);
export const forbidden = (message: string) => new DfsError('forbidden', message);
export const notFound = (message: string) => new DfsError('not_found', message);
export const conflict = (reason: ConflictReason, message: string) => new DfsError('conflict', message, { reason });
export const preconditionFailed = (message: string) => new DfsError('precondition_failed', message);
export const tooLarge = (message: string) => new DfsError('too_large', message);
export const uploadIncomplete = (message: string) => new DfsError('upload_incomplete', message);
export const storageUnavailable = (message: string, cause?: unknown) =>
  new DfsError('storage_unavailable', message, { cause });

export const hasCode = (error: unknown, code: ErrorCode): error is DfsError => error instanceof DfsError && error.code === code;
