/**
 * The download engine: one GET for small files, parallel Range requests for big ones, each
 * range streamed into the sink at its offset (memory stays bounded), retried alone on
 * failure, with a fresh link when the presigned URL expired. Ranges already on disk from an
 * interrupted run are skipped.
 */
import type { DownloadLink } from './api-types.ts';
import { runPool } from './pool.ts';
import { TransferError, withRetry } from './retry.ts';

const MiB = 1024 * 1024;

export interface DownloadSink {
  write(position: number, bytes: Uint8Array): Promise<void>;
}

export interface DownloadOptions {
  /** Range size for parallel download (default 16 MiB); smaller files take one GET. */
  rangeSize?: number;
  concurrency?: number;
  /** Ranges (by start offset) already complete from an earlier run. */
  done?: ReadonlySet<number>;
  /** Called when a range is complete, so a caller can remember it for resume. */
  onRange?: (start: number) => void | Promise<void>;
  onProgress?: (bytes: number) => void;
  /** A new link when the current one expired mid-transfer. */
  refresh?: () => Promise<DownloadLink>;
  signal?: AbortSignal;
}

export async function downloadRanges(link: DownloadLink, sink: DownloadSink, options: DownloadOptions = {}): Promise<void> {
  const rangeSize = options.rangeSize ?? 16 * MiB;
  let current = link;
  const starts: number[] = [];
  for (let start = 0; start < link.size; start += rangeSize) if (!options.done?.has(start)) starts.push(start);

  await runPool(starts, options.concurrency ?? 8, async (start) => {
    const end = Math.min(start + rangeSize, link.size);
    await withRetry(
      async () => {
        const whole = start === 0 && end === link.size;
        const response = await fetch(current.url, { headers: whole ? {} : { range: `bytes=${start}-${end - 1}` }, signal: options.signal });
        if (!response.ok) {
          const text = await response.text();
          const error = new TransferError(`the store refused the download: HTTP ${response.status} ${text.slice(0, 200)}`, response.status, text);
          if (error.needsNewUrl && options.refresh) current = await options.refresh();
          throw error;
        }
        if (!whole && response.status !== 206) throw new TransferError('the store ignored the Range header', 0);
        let position = start;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          await sink.write(position, chunk);
          position += chunk.length;
          options.onProgress?.(chunk.length);
        }
        if (position !== end) throw new TransferError(`the store sent ${position - start} of ${end - start} bytes`, 0);
      },
      { signal: options.signal },
    );
    await options.onRange?.(start);
  });
}
