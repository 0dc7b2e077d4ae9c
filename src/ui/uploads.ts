/**
 * Uploads from the page: files picked or dropped go a few at a time, each straight to the store
 * through the shared transfer engine, with a row in the list of uploads. A failure is told once
 * per pick or drop, not once per file.
 */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import { blobUpload } from '../client/blob-upload.ts';
import { OutageWatch } from '../client/outage.ts';
import { createLimiter } from '../client/pool.ts';
import { uploadFile } from '../client/upload.ts';
import { describeFailures, explainUpload } from './format.ts';
import { notify } from './notices.ts';
import type { Page } from './page.ts';
import { uploadRow } from './upload-list.ts';

/** Files sent at once: each holds hashers (Wasm memory) and connections; the rest wait their turn. */
const FILES_AT_ONCE = 4;
/**
 * How long the store may fail every request before the rest of a pick or drop stops: a person
 * is watching, so about as long as one file's own tries take (7.5-15 s), not the CLI's minute.
 */
const OUTAGE_LIMIT_MS = 15_000;

/** Told of an upload that failed: where it was going, the error, and what it means to the person. */
type FailureReport = (target: string, error: unknown, reason: string) => void;

export interface Uploads {
  /** Queues files for `destination`, if the session they were picked or dropped in is still signed in. */
  uploadAll(via: DfsClient, destination: string, found: { file: File; path: string }[]): void;
  /** Whether any upload is queued or under way. */
  readonly busy: boolean;
  /** Cancels every upload queued or under way, each as its own Cancel does (so aborted on the server too). */
  cancelAll(): void;
}

/** `uploaded` is told the full path of each file uploaded. */
export function uploads(page: Page, uploaded: (target: string) => void): Uploads {
  const fileTurns = createLimiter(FILES_AT_ONCE);
  /** The Cancel of each upload queued or under way. */
  const underWay = new Set<() => void>();

  /**
   * Queues `file` for `target`, its full path (the folder fixed when it was picked or dropped), in
   * the session `via`; a failure goes to `report`.
   */
  function start(via: DfsClient, file: File, target: string, report: FailureReport, outage: OutageWatch): void {
    // A drop box cannot see what is there: it must never replace a file, only be told the name is taken.
    const ifNoneMatch = page.may('read') ? undefined : '*';
    const controller = new AbortController();
    let queued = true;
    const cancel = () => {
      controller.abort();
      if (queued) row.cancelled();
    };
    const row = uploadRow(target, file.size, cancel);
    underWay.add(cancel);
    let sent = 0;
    void fileTurns(() => {
      controller.signal.throwIfAborted();
      outage.signal.throwIfAborted();
      queued = false;
      row.sending();
      return uploadFile(via, target, blobUpload(file), {
        contentType: file.type || undefined,
        // The page never resumes an upload: one that fails or is cancelled is not left on the server.
        abortOnFailure: true,
        ifNoneMatch,
        onProgress: (bytes) => row.progress((sent += bytes)),
        signal: AbortSignal.any([controller.signal, outage.signal]),
        outage,
      });
    })
      .then(
        () => {
          row.done();
          uploaded(target);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return row.cancelled();
          const reason = explainUpload(target, error, ifNoneMatch !== undefined);
          row.failed(reason);
          report(target, error, reason);
        },
      )
      .finally(() => underWay.delete(cancel));
  }

  /**
   * Reports the failures of one pick or drop of `total` files in one notice, rewritten as more
   * fail: a notice each would cover the page.
   */
  function failureReport(total: number): FailureReport {
    const failures: { target: string; reason: string }[] = [];
    const notice = document.createElement('p');
    return (target, error, reason) => {
      // A token no longer valid signs out, which cancels the rest.
      if (error instanceof ApiError && error.code === 'unauthorized') return page.fail(error);
      failures.push({ target, reason });
      notify(describeFailures(failures, total), true, notice);
    };
  }

  return {
    uploadAll(via, destination, found) {
      if (page.client !== via) return;
      const report = failureReport(found.length);
      // A store that fails every request stops what is left of this pick or drop at once, rather
      // than each file after its own tries (thousands of files would take hours): outage.ts.
      const outage = new OutageWatch(OUTAGE_LIMIT_MS);
      for (const { file, path } of found) start(via, file, `${destination}${path}`, report, outage);
    },
    get busy() {
      return underWay.size > 0;
    },
    cancelAll() {
      for (const cancel of underWay) cancel();
    },
  };
}
