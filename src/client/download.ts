/**
 * The download engine: one GET for small files, parallel Range requests for big ones, each
 * range written at its offset by the DownloadIo (memory stays bounded), retried alone on
 * failure, with a fresh link when the presigned URL expired. Ranges already on disk from an
 * interrupted run are skipped.
 */
import type { DownloadLink } from './api-types.ts';
import type { OutageWatch } from './outage.ts';
import { runPool, unlimited, type Limiter } from './pool.ts';
import { withRetry, type RetryOptions } from './retry.ts';

const MiB = 1024 * 1024;

/** Where a download's bytes go. */
export interface DownloadIo {
  /**
   * GETs bytes [start, end) of the object (all of it when `whole`, without a Range header) and
   * writes them at the same offset; `onBytes` sees each chunk. Throws TransferError for the
   * store's failures (retried when transient), and any other error for one that is final (a
   * local write that failed).
   */
  get(url: string, start: number, end: number, whole: boolean, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<void>;
}

export interface DownloadOptions {
  /** Range size for parallel download (default 16 MiB); smaller files take one GET. */
  rangeSize?: number;
  concurrency?: number;
  /** Ranges (by start offset) already complete from an earlier run. */
  done?: ReadonlySet<number>;
  /** Called when a range is complete, so a caller can remember it for resume. */
  onRange?: (start: number) => void;
  onProgress?: (bytes: number) => void;
  /** Shared with other downloads running at the same time: a limit on their ranges in flight together. */
  rangeLimit?: Limiter;
  /** A new link when the current one expired mid-transfer (asked once for all ranges that found it expired). */
  refresh?: () => Promise<DownloadLink>;
  /** Told of each failed try of a range that will be tried again. */
  onRetry?: RetryOptions['onRetry'];
  signal?: AbortSignal;
  /** Told how each GET went: a run stops when the store is down (outage.ts). */
  outage?: OutageWatch;
}

export async function downloadRanges(link: DownloadLink, io: DownloadIo, options: DownloadOptions = {}): Promise<void> {
  const rangeSize = options.rangeSize ?? 16 * MiB;
  let current = link;
  let refreshing: Promise<void> | null = null;
  /** A new link, unless another range already replaced the one that expired under this one. */
  const renewAfter = (expired: string) => {
    if (current.url !== expired) return Promise.resolve();
    refreshing ??= options.refresh!()
      .then((fresh) => {
        current = fresh;
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  const starts: number[] = [];
  for (let start = 0; start < Math.max(link.size, 1); start += rangeSize) if (!options.done?.has(start)) starts.push(start);

  const limit = options.rangeLimit ?? unlimited;
  await runPool(starts, options.concurrency ?? 8, (start) => limit(async () => {
    const end = Math.min(start + rangeSize, link.size);
    let used = '';
    await withRetry(
      async () => {
        used = current.url;
        let received = 0;
        try {
          await io.get(used, start, end, start === 0 && end === link.size, (bytes) => {
            received += bytes;
            options.onProgress?.(bytes);
          }, options.signal);
        } catch (error) {
          // What a failed try delivered is sent again by the next one.
          options.onProgress?.(-received);
          throw error;
        }
      },
      { signal: options.signal, outage: options.outage, onRetry: options.onRetry, renew: options.refresh && (() => renewAfter(used)) },
    );
    options.onRange?.(start);
  }));
}
