/** Bounded retries with exponential backoff and jitter, for transient failures only. */
import { ApiError } from './api-client.ts';
import type { OutageWatch } from './outage.ts';

/** Tries of one operation, the first included. */
export const RETRY_ATTEMPTS = 5;
/**
 * Backoff before the second try, doubling up to MAX_DELAY_MS; each wait is drawn from its upper
 * half ("equal jitter"), so the five tries span 7.5 to 15 s whatever the draw and a store or API
 * restarting for a few seconds does not fail a transfer. (Full jitter, from zero, gave up within
 * a 3 s restart about one call in 25; from 200 ms, 3 s at most, every 2 s blip failed.)
 */
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 10_000;

export interface RetryOptions {
  signal?: AbortSignal;
  /** Told of each failed try that will be tried again (`attempt` is the one that failed). */
  onRetry?: (error: unknown, attempt: number) => void;
  /**
   * Signs what the operation sends anew: called before a try that follows one whose presigned
   * URL expired (such a URL is never good again). Without it the next try uses the same URL.
   */
  renew?: () => Promise<void>;
  /** Told how each try went, for an operation that is a request to the store. */
  outage?: OutageWatch;
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
  /** The store says the presigned URL expired, or its lifetime is over (a 403): withRetry has `renew` sign a new one before the next try. */
  readonly needsNewUrl: boolean;
  /** The S3 error code the store answered with (BadDigest, AccessDenied, ...), if it gave one. */
  readonly storeCode: string | null;
  /** How long the store had been silent when the request gave up on it (0 for any other failure). */
  readonly silentForMs: number;

  constructor(message: string, status: number, refusal: { storeCode?: string | null; expired?: boolean; silentForMs?: number } = {}) {
    super(message);
    this.name = 'TransferError';
    this.status = status;
    this.storeCode = refusal.storeCode ?? null;
    this.silentForMs = refusal.silentForMs ?? 0;
    this.needsNewUrl = status === 403 && refusal.expired === true;
    this.transient = status === 0 || status === 408 || status === 429 || status >= 500 || this.needsNewUrl;
  }

  /** The store stayed silent for `ms` (its connection open, no answer): the outage watch counts from when the silence began. */
  static silent(ms: number): TransferError {
    return new TransferError(`the store did not answer for ${ms / 1000} s`, 0, { silentForMs: ms });
  }

  /**
   * The store answered the upload or download of `url` with an error status; `body` is its
   * answer. A 403 means the URL expired when the store says so (S3, MinIO) or when the URL's own
   * lifetime is over: Ceph RGW answers an expired URL with a bare AccessDenied.
   */
  static refused(what: 'upload' | 'download', status: number, body: string, url: string): TransferError {
    const error = s3Error(body);
    const said = error ? ` ${error.code}${error.message ? ` (${error.message})` : ''}` : foreignAnswer(body);
    const expired = /expired/i.test(body) || presignedUrlLapsed(url);
    return new TransferError(`the store refused the ${what}: HTTP ${status}${said}`, status, { storeCode: error?.code, expired });
  }
}

/** Clocks differ: a URL within this long of its end may have ended for the store already. */
const CLOCK_SLACK_MS = 60_000;

/** Whether a SigV4 presigned URL's lifetime (X-Amz-Date + X-Amz-Expires) is over, or nearly. */
export function presignedUrlLapsed(url: string, now = Date.now()): boolean {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return false;
  }
  const signed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  const lifetime = Number(query.get('X-Amz-Expires') ?? NaN);
  if (!signed || !Number.isFinite(lifetime)) return false;
  const [year, month, day, hour, minute, second] = signed.slice(1).map(Number) as [number, number, number, number, number, number];
  return now >= Date.UTC(year, month - 1, day, hour, minute, second) + lifetime * 1000 - CLOCK_SLACK_MS;
}

/**
 * An answer that is no S3 error document (a proxy's or a firewall's page, a gateway's JSON):
 * its title or one short line of plain text, never the markup or a stack trace it carries.
 */
function foreignAnswer(body: string): string {
  if (body.trim() === '') return '';
  const title = /<title>\s*([^<]{1,120}?)\s*<\/title>/i.exec(body)?.[1];
  const line = body.trim().split('\n', 1)[0]!.trim();
  const shown = title ?? (line.length <= 120 && !/[<>{}[\]]/.test(line) ? line : null);
  return `${shown ? ` "${shown}"` : ''} (an answer that is not the store's own: a proxy or firewall in between?)`;
}

/** The Code and Message of an S3 error document, which is all a person needs of it. */
function s3Error(body: string): { code: string; message: string | null } | null {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  return code ? { code, message: /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1] ?? null } : null;
}

/**
 * Runs `operation` until it succeeds, a failure is final, or RETRY_ATTEMPTS tries have failed
 * (with an outage watch, more while the store fails every request: see outage.ts). A try that
 * follows an expired presigned URL first has `options.renew` sign a new one.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  let urlExpired = false;
  const { outage } = options;
  // A watch stops what it watches; a caller passing a signal too passes one that follows the
  // watch's (the CLI its very signal, the web UI one combined with its Cancel), made once a run,
  // not once a request.
  const stop = options.signal ?? outage?.signal;
  const began = outage?.mark() ?? 0;
  for (let attempt = 1; ; attempt++) {
    try {
      if (urlExpired) await options.renew?.();
      const result = await operation();
      outage?.record();
      return result;
    } catch (error) {
      outage?.record(error);
      urlExpired = error instanceof TransferError && error.needsNewUrl;
      // Stopped (a cancel, the store's outage): the reason is the failure, not what the try met.
      stop?.throwIfAborted();
      // While the store has failed this and answered nothing else since it began, the outage
      // watch decides for every file at once; any other failure (the API's) ends with the tries.
      const storeDown = outage !== undefined && error instanceof TransferError && !outage.answeredSince(began);
      if ((attempt >= RETRY_ATTEMPTS && !storeDown) || !isTransient(error)) throw error;
      options.onRetry?.(error, attempt);
      const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
      await pause(ceiling / 2 + (Math.random() * ceiling) / 2, stop);
      stop?.throwIfAborted();
    }
  }
}

/** Waits `ms`, or less if `signal` aborts meanwhile. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
