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
import { withRetry } from './retry.ts';
import { putSingle, wholeOf, type UploadIo } from './upload.ts';

/** What the server accepts per batch request. */
export const MAX_BATCH = 1000;

export interface BatchFile {
  path: string;
  io: UploadIo;
  contentType?: string;
}

export interface BatchOptions {
  /** PUTs in flight at once, across every batch (default 64). */
  concurrency?: number;
  /** Files per API request (default 100: small enough that PUTs start early). */
  batchSize?: number;
  onProgress?: (bytes: number) => void;
  /** Told of each failed try that will be tried again; `index` (into the files) says whose, if it was one file's. */
  onRetry?: (error: unknown, attempt: number, index?: number) => void;
  /** Stops the batches not yet begun (a file's outcome is then the signal's reason); those under way commit what they sent. */
  signal?: AbortSignal;
  /** Told how each PUT went: a run stops when the store is down (outage.ts). */
  outage?: OutageWatch;
}

export class BatchItemError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'BatchItemError';
    this.code = code;
  }
}

/** Uploads every file; the result holds, in input order, each file's entry or its error. */
export async function uploadMany(client: DfsClient, files: readonly BatchFile[], options: BatchOptions = {}): Promise<(FileEntry | Error)[]> {
  const outcomes: (FileEntry | Error)[] = new Array(files.length);
  const limit = createLimiter(options.concurrency ?? 64);
  const size = Math.min(options.batchSize ?? 100, MAX_BATCH);
  const batches: number[][] = [];
  for (let i = 0; i < files.length; i += size) batches.push(Array.from({ length: Math.min(size, files.length - i) }, (_, j) => i + j));
  const retry = { signal: options.signal, onRetry: options.onRetry };

  // A few batches in flight keep the store busy while another batch is created or committed.
  await runPool(batches, 4, async (batch) => {
    if (options.signal?.aborted) {
      for (const index of batch) outcomes[index] = options.signal.reason as Error;
      return;
    }
    // A file that cannot be read (gone, or changed since it was listed) fails alone.
    const read = await Promise.all(
      batch.map((index) => limit(async () => {
        const file = files[index]!;
        try {
          const { part, sha256 } = await wholeOf(file.io);
          const input: BatchUploadItem = { path: file.path, size: file.io.size, contentType: file.contentType, md5: part.md5, sha256 };
          return { index, part, input };
        } catch (error) {
          outcomes[index] = error as Error;
          return null;
        }
      })),
    );
    const prepared = read.filter((entry) => entry !== null);
    if (prepared.length === 0) return;
    let created: Awaited<ReturnType<DfsClient['batchUploads']>>;
    try {
      created = await withRetry(() => client.batchUploads(prepared.map(({ input }) => input)), retry);
    } catch (error) {
      for (const { part } of prepared) part.release();
      // Stopped (an outage) while the batch was being created: its files fail with the reason,
      // as those of the batches not begun do. Any other failure (the API down) ends the run.
      if (!options.signal?.aborted) throw error;
      for (const { index } of prepared) outcomes[index] = error as Error;
      return;
    }
    const sent: { index: number; id: string }[] = [];
    await Promise.all(
      prepared.map(({ index, part, input }, i) =>
        limit(async () => {
          const answer = created[i]!;
          try {
            if ('error' in answer) throw new BatchItemError(answer.error.code, answer.error.message);
            const upload = { current: answer };
            await putSingle(client, part, input, upload, { signal: options.signal, outage: options.outage, onRetry: (error, attempt) => options.onRetry?.(error, attempt, index) });
            options.onProgress?.(input.size);
            sent.push({ index, id: upload.current.id });
          } catch (error) {
            outcomes[index] = error as Error;
          } finally {
            part.release();
          }
        }),
      ),
    );
    if (sent.length === 0) return;
    // A file the API could not check because the store failed is committed again, with the
    // backoff of any other try; once the tries are spent (or an outage stopped the run) the
    // files left fail with that reason, and the batches not begun find out for themselves.
    let unchecked = sent;
    await withRetry(async () => {
      const results = await client.batchComplete(unchecked.map(({ id }) => ({ id })));
      const again = unchecked.filter((_, i) => {
        const result = results[i]!;
        outcomes[unchecked[i]!.index] = 'error' in result ? new BatchItemError(result.error.code, result.error.message) : result.file;
        return 'error' in result && result.error.code === 'storage_unavailable';
      });
      unchecked = again;
      const reason = again.length > 0 ? (outcomes[again[0]!.index] as BatchItemError) : null;
      if (reason) throw new ApiError(503, reason.code, reason.message);
    }, retry).catch((error: unknown) => {
      for (const { index } of unchecked) outcomes[index] = error as Error;
    });
  });
  return outcomes;
}
