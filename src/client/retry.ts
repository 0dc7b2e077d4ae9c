/** Bounded retries with exponential backoff and full jitter, for transient failures only. */
import { ApiError } from './api-client.ts';

/** Tries of one operation, the first included, unless a caller says otherwise. */
export const RETRY_ATTEMPTS = 5;

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Told of each failed try that will be tried again (`attempt` is the one that failed). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Network errors, 408, 429 and 5xx are worth another try; anything else is final. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
  if (error instanceof TransferError) return error.transient;
  return error instanceof TypeError; // fetch's network failures
}

/** A failed PUT/GET against the store, with whether trying again may help. */
export class TransferError extends Error {
  readonly status: number;
  readonly transient: boolean;
  /** The presigned URL expired or was refused: sign a new one before the next try. */
  readonly needsNewUrl: boolean;
  /** The S3 error code the store answered with (BadDigest, AccessDenied, ...), if it gave one. */
  readonly storeCode: string | null;

  constructor(message: string, status: number, body = '', storeError = s3Error(body)) {
    super(message);
    this.name = 'TransferError';
    this.status = status;
    this.storeCode = storeError?.code ?? null;
    this.needsNewUrl = status === 403 && /expired/i.test(body);
    this.transient = status === 0 || status === 408 || status === 429 || status >= 500 || this.needsNewUrl;
  }

  /** The store answered the upload or download with an error status; `body` is its answer. */
  static refused(what: 'upload' | 'download', status: number, body: string): TransferError {
    const error = s3Error(body);
    const said = error ? `${error.code}${error.message ? ` (${error.message})` : ''}` : body.slice(0, 200);
    return new TransferError(`the store refused the ${what}: HTTP ${status} ${said}`, status, body, error);
  }
}

/** The Code and Message of an S3 error document, which is all a person needs of it. */
function s3Error(body: string): { code: string; message: string | null } | null {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  return code ? { code, message: /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1] ?? null } : null;
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? RETRY_ATTEMPTS;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !isTransient(error) || options.signal?.aborted) throw error;
      options.onRetry?.(error, attempt);
      const delay = Math.random() * Math.min(max, base * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
