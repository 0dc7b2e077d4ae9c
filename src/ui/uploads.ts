/**
 * Uploads from the page: files picked or dropped go straight to the store through the shared
 * transfer engine, each with a row in the list of uploads. Small files go in batches (one API
 * call creates 25 uploads, one commits them), bigger ones a few at a time on their own,
 * in parallel parts over 16 MiB. A failure is told once per pick or drop, not once per file.
 */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import { uploadMany } from '../client/batch-upload.ts';
import { blobUpload } from '../client/blob-upload.ts';
import { OutageWatch } from '../client/outage.ts';
import { createLimiter } from '../client/pool.ts';
import { sharedDestinations } from '../client/shared-destinations.ts';
import { uploadFile, wholeOf, type UploadIo } from '../client/upload.ts';
import { describeFailures, explainUpload } from './format.ts';
import { notify } from './notices.ts';
import type { Page } from './page.ts';
import { uploadRow } from './upload-list.ts';

/**
 * Files up to this size go in batches, bigger ones one by one. For a small file the two API
 * calls of its own cost more than its bytes: 600 files of 4 KiB took 14-24 s one by one, 4-6.5 s
 * in batches (docs/benchmarks.md). But a batch hashes all its files before it sends any, and the
 * page hashes on its one thread (~150-200 MB/s): 400 files of 4 MiB sent their first byte after
 * 11 s. Up to 1 MiB that wait stays within ~3 s, however many files; bigger files gain little
 * from a batch on a link slower than the hashing, and one by one each is done as it commits.
 */
const BATCHED_UP_TO = 1024 * 1024;
/**
 * PUTs of batched files in flight. Chromium opens six connections to an HTTP/1.1 host: 8 keeps a
 * freed one busy, and 16 or 32 were no faster. Fewer in flight also try a failing store fewer
 * times while its outage is being found out.
 */
const PUTS_AT_ONCE = 8;
/**
 * Files per batch, and batches under way at once: how many uploads exist on the server ahead of
 * their PUTs. Each one left when the page stops (an outage, Cancel all, a sign-out) costs a
 * DELETE of its own, and one left by a closed tab waits for the cleanup job.
 */
const BATCH_SIZE = 25;
const BATCHES_AT_ONCE = 2;
/**
 * Batched files hashed at once, and files sent one by one at once: each holds two Wasm hashers,
 * so at most eight of each kind are in use, the number blob-upload.ts keeps for reuse, and none is
 * made and dropped per file (made afresh, they once ran a page out of Wasm memory). The hashing
 * itself takes turns on the page's one thread whatever the number.
 */
const HASHED_AT_ONCE = 4;
const ALONE_AT_ONCE = 4;
/**
 * How long the store may fail every request before the rest of a pick or drop stops: a person
 * is watching, so about as long as one file's own tries take (7.5-15 s), not the CLI's minute.
 */
const OUTAGE_LIMIT_MS = 15_000;

/** Told of an upload that failed: where it was going, the error, and what it means to the person. */
type FailureReport = (target: string, error: unknown, reason: string) => void;

/** One file of a pick or drop, from its row's point of view. */
interface Upload {
  file: File;
  target: string;
  /** Its Cancel. */
  signal: AbortSignal;
  /** Its turn came: from now on it may reach the server, and a Cancel waits for it to stop there. */
  begin(): void;
  /** Bytes the store has taken so far. */
  progress(sent: number): void;
  /** Committed. Only the first outcome counts. */
  done(): void;
  /** Not uploaded, cancelled or not. Only the first outcome counts. */
  failed(error: unknown): void;
}

export interface Uploads {
  /** Queues files for `destination`, if the session they were picked or dropped in is still signed in. */
  uploadAll(via: DfsClient, destination: string, found: { file: File; path: string }[]): void;
}

/** `uploaded` is told the full path of each file uploaded. */
export function uploads(page: Page, uploaded: (target: string) => void): Uploads {
  const aloneTurns = createLimiter(ALONE_AT_ONCE);
  const hashTurns = createLimiter(HASHED_AT_ONCE);
  /** A batched file's bytes, hashed in its turn. */
  const hashedInTurn = (file: File): UploadIo => {
    const io = blobUpload(file);
    return { ...io, whole: () => hashTurns(() => wholeOf(io)) };
  };

  /**
   * A row for `file` going to `target`, its full path (the folder fixed when it was picked or
   * dropped); a failure goes to `report`. `nameMustBeFree`: a drop box's upload.
   */
  function queue(file: File, target: string, report: FailureReport, nameMustBeFree: boolean): Upload {
    const controller = new AbortController();
    let queued = true;
    let settled = false;
    const row = uploadRow(target, file.size, () => {
      controller.abort();
      // Nothing of it has begun: there is nothing to wait for.
      if (queued) row.cancelled();
    });
    return {
      file,
      target,
      signal: controller.signal,
      begin() {
        queued = false;
        row.sending();
      },
      progress: (sent) => row.progress(sent),
      done() {
        if (settled) return;
        settled = true;
        row.done();
        uploaded(target);
      },
      failed(error) {
        if (settled) return;
        settled = true;
        if (controller.signal.aborted) return row.cancelled();
        const reason = explainUpload(target, error, nameMustBeFree);
        row.failed(reason);
        report(target, error, reason);
      },
    };
  }

  /** Small files, in batches. */
  function sendBatched(via: DfsClient, batched: Upload[], outage: OutageWatch, ifNoneMatch: '*' | undefined): void {
    const files = batched.map(({ file, target, signal }) => ({ path: target, io: hashedInTurn(file), contentType: file.type || undefined, ifNoneMatch, signal }));
    void uploadMany(via, files, {
      concurrency: PUTS_AT_ONCE,
      batchSize: BATCH_SIZE,
      batchesAtOnce: BATCHES_AT_ONCE,
      outage,
      // The page never resumes an upload: one that fails or is cancelled is not left on the server.
      abortOnFailure: true,
      onStart: (index) => batched[index]!.begin(),
      onSettled: (index, outcome) => (outcome instanceof Error ? batched[index]!.failed(outcome) : batched[index]!.done()),
    }).catch((error: unknown) => {
      // The API failed a batch (or refused the token): what it left fails with that.
      for (const upload of batched) upload.failed(error);
    });
  }

  /** A bigger file, on its own once its turn comes: in parallel parts over 16 MiB. */
  function sendAlone(via: DfsClient, upload: Upload, outage: OutageWatch, ifNoneMatch: '*' | undefined): void {
    let sent = 0;
    const { file, target, signal } = upload;
    // Its own Cancel, or the outage that stops what is left of its pick or drop.
    const stop = AbortSignal.any([signal, outage.signal]);
    void aloneTurns(() => {
      stop.throwIfAborted();
      upload.begin();
      return uploadFile(via, target, blobUpload(file), {
        contentType: file.type || undefined,
        abortOnFailure: true,
        ifNoneMatch,
        onProgress: (bytes) => upload.progress((sent += bytes)),
        signal: stop,
        outage,
      });
    }).then(
      () => upload.done(),
      (error: unknown) => upload.failed(error),
    );
  }

  /**
   * Reports the failures of one pick or drop of `total` files in one notice, rewritten as more
   * fail: a notice each would cover the page.
   */
  function failureReport(total: number): FailureReport {
    const failures: { target: string; reason: string }[] = [];
    // Kept as they come: looking over every failure at each one would cost the page's thread
    // the square of thousands an outage stops.
    let oneReason = true;
    const notice = document.createElement('p');
    return (target, error, reason) => {
      // A token no longer valid signs out, which cancels the rest.
      if (error instanceof ApiError && error.code === 'unauthorized') return page.fail(error);
      failures.push({ target, reason });
      oneReason &&= reason === failures[0]!.reason;
      notify(describeFailures(failures, total, oneReason), true, notice);
    };
  }

  return {
    uploadAll(via, destination, found) {
      if (page.client !== via) return;
      const report = failureReport(found.length);
      // A drop box cannot see what is there: it must never replace a file, only be told the name is taken.
      const ifNoneMatch = page.may('read') ? undefined : '*';
      const queued = found.map(({ file, path }) => queue(file, `${destination}${path}`, report, ifNoneMatch !== undefined));
      const clashing = sameStoredName(queued);
      for (const upload of clashing) upload.failed(new Error('another file picked has the same name as the server stores names (the same letters written another way, as é can be typed as e and an accent): neither was uploaded; rename one'));
      const picked = queued.filter((upload) => !clashing.has(upload));
      // A store that fails every request stops what is left of this pick or drop at once, rather
      // than each file after its own tries (thousands of files would take hours): outage.ts.
      const outage = new OutageWatch(OUTAGE_LIMIT_MS);
      sendBatched(via, picked.filter(({ file }) => file.size <= BATCHED_UP_TO), outage, ifNoneMatch);
      for (const upload of picked.filter(({ file }) => file.size > BATCHED_UP_TO)) sendAlone(via, upload, outage, ifNoneMatch);
    },
  };
}

/**
 * Uploads whose paths the server reads as one (it stores names in NFC): either would replace the
 * other, in an order nobody chose, as the CLI refuses too.
 */
function sameStoredName(uploads: Upload[]): Set<Upload> {
  return new Set([...sharedDestinations(uploads, ({ target }) => target.normalize('NFC')).values()].flat());
}
