/**
 * A transfer of many files stops once the store has failed every request for a while, instead
 * of failing each file after its own retries: with the store down, 10,000 files would each
 * spend their 7.5-15 s of tries (hours at 64 in flight), and with a store that accepts
 * connections and never answers, five 60 s silences each. While the store fails everything, a
 * file does not fail on its own either (withRetry keeps trying): the store comes back within
 * the limit and every file goes on, or the run stops with one reason for all.
 */
import { TransferError } from './retry.ts';

/** How long the store may fail every request before a transfer stops (DFS_OUTAGE_LIMIT on the CLI). */
export const DEFAULT_OUTAGE_LIMIT_MS = 60_000;

/** Why a transfer stopped: the store failed every request for `failingMs`; `last` is the latest failure. */
export class StoreOutage extends Error {
  readonly last: Error;
  readonly failingMs: number;

  constructor(failingMs: number, last: Error) {
    super(`the store failed every request for ${Math.round(failingMs / 1000)} s (last: ${last.message})`);
    this.name = 'StoreOutage';
    this.last = last;
    this.failingMs = failingMs;
  }
}

/** Watches one run's requests to the store; `signal` aborts with a StoreOutage once it is down for good. */
export class OutageWatch {
  private readonly controller = new AbortController();
  private readonly limitMs: number;
  private readonly now: () => number;
  /** When the store last answered (or the watch began): no failing stretch starts before it. */
  private lastAnswer: number;
  /** When the stretch of failures since the store last answered began; null while it answers. */
  private failingSince: number | null = null;

  // A monotonic clock: a laptop asleep for an hour is not an hour of the store failing.
  constructor(limitMs = DEFAULT_OUTAGE_LIMIT_MS, now: () => number = () => performance.now()) {
    this.limitMs = limitMs;
    this.now = now;
    this.lastAnswer = now();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Now, on the watch's clock: for answeredSince. */
  mark(): number {
    return this.now();
  }

  /** Whether the store has answered any request since `time` (a mark()). */
  answeredSince(time: number): boolean {
    return this.lastAnswer > time;
  }

  /**
   * The outcome of one try of a request to the store: success, or the error it failed with. A
   * refusal (403, 404, a bad digest) is an answer: the store is up. Errors that are not the
   * store's (the API's, a local file's) say nothing of it. A failure counts from when it came,
   * but a silence from when it began: a store that takes connections and never answers is found
   * out by its first timeout, while a long transfer that fails at its end is not taken for a
   * store that failed all along.
   */
  record(error?: unknown): void {
    if (error === undefined || (error instanceof TransferError && !error.transient)) {
      this.lastAnswer = Math.max(this.lastAnswer, this.now());
      this.failingSince = null;
      return;
    }
    if (!(error instanceof TransferError) || this.controller.signal.aborted) return;
    const now = this.now();
    this.failingSince ??= Math.max(now - error.silentForMs, this.lastAnswer);
    if (now - this.failingSince >= this.limitMs) this.controller.abort(new StoreOutage(now - this.failingSince, error));
  }
}
