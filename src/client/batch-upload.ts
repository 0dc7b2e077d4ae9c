/**
 * Many small files at once: one API call creates the uploads of a whole batch, the bytes go
 * straight to the store in parallel, and one call commits the batch (the server verifies it
 * with a single listing). 1000 small files cost a handful of API round trips instead of 2000.
 * Each file succeeds or fails alone.
 */
import { ApiError, type DfsClient } from './api-client.ts';
import type { BatchUploadItem, FileEntry } from './api-types.ts';
import type { OutageWatch } from './outage.ts';
import { createLimiter, runPool } from './pool.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { abandon, putSingle, wholeOf, type UploadIo } from './upload.ts';

/** What the server accepts per batch request. */
export const MAX_BATCH = 1000;

export interface BatchFile {
  path: string;
  io: UploadIo;
  contentType?: string;
  /** Create only, never replace (a drop box's files: its token cannot see what is there). */
  ifNoneMatch?: '*';
  /**
   * Cancels this file alone, at once wherever it waits (a request of its own under way finishes
   * first); one cancelled before its batch is created never reaches the server.
   */
  signal?: AbortSignal;
}

export interface BatchOptions {
  /** PUTs in flight at once, across every batch (default 64). */
  concurrency?: number;
  /** Files per API request (default 100: small enough that PUTs start early). */
  batchSize?: number;
  /** Batches under way at once (default 4): how many uploads may be created ahead of their PUTs. */
  batchesAtOnce?: number;
  onProgress?: (bytes: number) => void;
  /** Told of each failed try that will be tried again; `index` (into the files) says whose, if it was one file's. */
  onRetry?: (error: unknown, attempt: number, index?: number) => void;
  /** Stops the batches not yet begun (a file's outcome is then the signal's reason); those under way commit what they sent. */
  signal?: AbortSignal;
  /** Told how each PUT went: a run stops when the store is down (outage.ts). */
  outage?: OutageWatch;
  /** Told when a file's batch takes it up: from then on it may reach the server. */
  onStart?: (index: number) => void;
  /** Told of each file's outcome once it is final, as its batch commits or as it fails. */
  onSettled?: (index: number, outcome: FileEntry | Error) => void;
  /**
   * Abort on the server the upload of a file that fails or is cancelled, as uploadFile's option
   * does: for a caller that never sends it again (the web UI). Without it the upload expires.
   */
  abortOnFailure?: boolean;
}

export class BatchItemError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'BatchItemError';
    this.code = code;
  }
}

/** A file whose bytes the store took: its index among the files, and its upload. */
interface Sent {
  index: number;
  id: string;
}

/**
 * How files of a run end. A file's first outcome is final: a Cancel may end a file while work for
 * it is still queued, and that work then finds it ended.
 */
interface Outcome {
  settle(index: number, entry: FileEntry | Error): void;
  settled(index: number): boolean;
  /** The upload the server holds for a file, as its PUT renews it (a URL that expired). */
  track(index: number, upload: { current: { id: string } }): void;
  /** A file whose upload the server holds fails, and the upload is abandoned. */
  giveUp(index: number, id: string, error: unknown): Promise<void>;
  /**
   * Ends a file whose Cancel came, unless a request of its own is under way (`busy`): a PUT
   * stops itself, a commit cannot be recalled. Its upload, once created, is abandoned. True when
   * the file is ended.
   */
  cancelled(index: number): boolean;
  readonly busy: Set<number>;
  /** Abandons under way, for the run to wait for. */
  readonly abandoned: Promise<void>[];
}

/**
 * Uploads every file; the result holds, in input order, each file's entry or its error. A batch
 * the API fails to create (the API down, the token refused) ends the run with that error.
 */
export async function uploadMany(client: DfsClient, files: readonly BatchFile[], options: BatchOptions = {}): Promise<(FileEntry | Error)[]> {
  const outcomes: (FileEntry | Error)[] = new Array(files.length);
  const limit = createLimiter(options.concurrency ?? 64);
  const size = Math.min(options.batchSize ?? 100, MAX_BATCH);
  const batches: number[][] = [];
  for (let i = 0; i < files.length; i += size) batches.push(Array.from({ length: Math.min(size, files.length - i) }, (_, j) => i + j));
  // A run stops with its store's outage even when the caller gave no signal of its own.
  const runSignal = options.signal ?? options.outage?.signal;
  const retry = { signal: runSignal, onRetry: options.onRetry };
  const uploads = new Map<number, { current: { id: string } }>();
  const abandonIfAsked = (id: string) => (options.abortOnFailure ? abandon(client, id, {}) : Promise.resolve());
  const outcome: Outcome = {
    settle(index, entry) {
      if (outcome.settled(index)) return;
      outcomes[index] = entry;
      // Its presigned URL and headers (~1 KiB) are not held for the rest of a run of many thousands.
      uploads.delete(index);
      options.onSettled?.(index, entry);
    },
    settled: (index) => outcomes[index] !== undefined,
    track(index, upload) {
      // Cancelled while its batch was created: the upload it got is abandoned at once.
      if (outcome.settled(index)) outcome.abandoned.push(abandonIfAsked(upload.current.id));
      else uploads.set(index, upload);
    },
    async giveUp(index, id, error) {
      if (outcome.settled(index)) return;
      outcome.settle(index, error as Error);
      await abandonIfAsked(id);
    },
    cancelled(index) {
      const own = files[index]!.signal;
      if (outcome.settled(index) || !own?.aborted || outcome.busy.has(index)) return outcome.settled(index);
      const upload = uploads.get(index);
      outcome.settle(index, own.reason as Error);
      if (upload) outcome.abandoned.push(abandonIfAsked(upload.current.id));
      return true;
    },
    busy: new Set(),
    abandoned: [],
  };
  const stopOf = (index: number) => {
    const own = files[index]!.signal;
    return own && runSignal ? AbortSignal.any([own, runSignal]) : (own ?? runSignal);
  };

  // A few batches in flight keep the store busy while another batch is created or committed.
  await runPool(batches, options.batchesAtOnce ?? 4, async (batch) => {
    // Stopped, or cancelled before its batch began: a file fails with the reason, and asks the
    // API for nothing.
    const taken = batch.filter((index) => {
      const stop = runSignal?.aborted ? runSignal : files[index]!.signal;
      if (stop?.aborted) outcome.settle(index, stop.reason as Error);
      return !stop?.aborted;
    });
    // A Cancel ends a file at once wherever it waits (its turn to be read, the create, a PUT
    // slot, the commit), not when its turn comes: only a request of its own under way finishes
    // first, and the file's next step looks again.
    const listening = taken.flatMap((index) => {
      const own = files[index]!.signal;
      if (!own) return [];
      const cancel = () => void outcome.cancelled(index);
      own.addEventListener('abort', cancel, { once: true });
      return [{ own, cancel }];
    });
    try {
      for (const index of taken) options.onStart?.(index);
      const sent = await sendBatch();
      await commit(client, sent, retry, outcome);
    } finally {
      for (const { own, cancel } of listening) own.removeEventListener('abort', cancel);
    }

    /** Reads, creates and PUTs the files of one batch; those whose bytes the store took. */
    async function sendBatch(): Promise<Sent[]> {
      // A file that cannot be read (gone, or changed since it was listed) fails alone.
      const read = await Promise.all(
        taken.map((index) =>
          limit(async () => {
            if (outcome.settled(index)) return null;
            const file = files[index]!;
            try {
              const { part, sha256 } = await wholeOf(file.io);
              const input: BatchUploadItem = { path: file.path, size: file.io.size, contentType: file.contentType, md5: part.md5, sha256, ifNoneMatch: file.ifNoneMatch };
              return { index, part, input };
            } catch (error) {
              outcome.settle(index, error as Error);
              return null;
            }
          }),
        ),
      );
      // Cancelled while the batch was read: it never reaches the server.
      const prepared = read.filter((entry): entry is NonNullable<typeof entry> => {
        if (entry === null) return false;
        if (!outcome.settled(entry.index)) return true;
        entry.part.release();
        return false;
      });
      if (prepared.length === 0) return [];
      let answers: Awaited<ReturnType<DfsClient['batchUploads']>>;
      try {
        answers = await withRetry(() => client.batchUploads(prepared.map(({ input }) => input)), retry);
      } catch (error) {
        for (const { part } of prepared) part.release();
        // Stopped (an outage) while the batch was being created: its files fail with the reason,
        // as those of the batches not begun do. Any other failure (the API down) ends the run.
        if (!runSignal?.aborted) throw error;
        for (const { index } of prepared) outcome.settle(index, error as Error);
        return [];
      }
      const sent: Sent[] = [];
      await Promise.all(
        prepared.map(async ({ index, part, input }, i) => {
          const answer = answers[i]!;
          if ('error' in answer) {
            part.release();
            return outcome.settle(index, new BatchItemError(answer.error.code, answer.error.message));
          }
          const upload = { current: answer };
          outcome.track(index, upload);
          if (outcome.settled(index)) return part.release();
          try {
            await limit(async () => {
              // Cancelled while it waited for a PUT slot.
              if (outcome.cancelled(index)) return;
              outcome.busy.add(index);
              try {
                await putSingle(client, part, input, upload, { signal: stopOf(index), outage: options.outage, onRetry: (error, attempt) => options.onRetry?.(error, attempt, index) });
              } finally {
                outcome.busy.delete(index);
              }
              options.onProgress?.(input.size);
              // Cancelled while its bytes went: it is not committed.
              if (!outcome.cancelled(index)) sent.push({ index, id: upload.current.id });
            });
          } catch (error) {
            await outcome.giveUp(index, upload.current.id, error);
          } finally {
            part.release();
          }
        }),
      );
      return sent;
    }
  }).finally(() => Promise.all(outcome.abandoned));
  return outcomes;
}

/**
 * Commits the uploads `sent` in one call, each file settled as the API answers. One the API could
 * not check because the store failed is committed again, with the backoff of any other try; once
 * the tries are spent (or an outage stopped the run) those left fail with that reason, and the
 * batches not begun find out for themselves.
 */
async function commit(client: DfsClient, sent: Sent[], retry: RetryOptions, outcome: Outcome): Promise<void> {
  if (sent.length === 0) return;
  const failures: Promise<void>[] = [];
  let unchecked = sent;
  await withRetry(async () => {
    // A file cancelled since it was sent, or during a try that must be made again, is left out.
    unchecked = unchecked.filter(({ index }) => !outcome.cancelled(index));
    if (unchecked.length === 0) return;
    for (const { index } of unchecked) outcome.busy.add(index);
    const results = await client.batchComplete(unchecked.map(({ id }) => ({ id }))).finally(() => {
      for (const { index } of unchecked) outcome.busy.delete(index);
    });
    const again: Sent[] = [];
    let unavailable: { code: string; message: string } | null = null;
    for (const [i, entry] of unchecked.entries()) {
      const result = results[i]!;
      if (!('error' in result)) outcome.settle(entry.index, result.file);
      else if (result.error.code !== 'storage_unavailable') failures.push(outcome.giveUp(entry.index, entry.id, new BatchItemError(result.error.code, result.error.message)));
      else {
        again.push(entry);
        unavailable ??= result.error;
      }
    }
    unchecked = again;
    if (unavailable) throw new ApiError(503, unavailable.code, unavailable.message);
  }, retry).catch((error: unknown) => {
    for (const { index, id } of unchecked) failures.push(outcome.giveUp(index, id, error));
  });
  await Promise.all(failures);
}
