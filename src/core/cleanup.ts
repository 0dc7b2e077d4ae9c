/**
 * The cleanup job: aborts expired uploads, drops versions past retention and deletes objects
 * nothing references any more. Idempotent and safe to run on several instances at once and
 * alongside traffic: every index step is a guarded batch, objects are deleted only after the
 * index says no version or pending upload references them, and references are never added to
 * an object without one (copy and restore take them from a live version).
 */
import { garbageDueAt, isoAfter, type DfsContext } from './context.ts';

export interface CleanupReport {
  expiredUploads: number;
  prunedVersions: number;
  deletedObjects: number;
  purgedUploads: number;
}

const BATCH = 500;

export async function runCleanup(ctx: DfsContext): Promise<CleanupReport> {
  const now = ctx.clock();
  const nowIso = now.toISOString();
  const { cleanupGraceSeconds, keepDays } = ctx.settings;
  // An upload may still be committing just after it expired: leave it the grace period.
  const uploadCutoff = isoAfter(now, -cleanupGraceSeconds);
  const report: CleanupReport = { expiredUploads: 0, prunedVersions: 0, deletedObjects: 0, purgedUploads: 0 };

  report.expiredUploads = await drain((limit) => ctx.index.expireUploads(uploadCutoff, nowIso, limit));
  report.prunedVersions = await drain((limit) =>
    ctx.index.pruneVersions(isoAfter(now, -keepDays * 86400), garbageDueAt(ctx, now), limit),
  );
  report.purgedUploads = await drain((limit) => ctx.index.purgeUploads(uploadCutoff, limit));

  for (;;) {
    const due = await ctx.index.dueGarbage(nowIso, BATCH);
    if (due.length === 0) break;
    for (const item of due) {
      if (item.multipartId !== null) await ctx.store.abortMultipart(item.objectKey, item.multipartId);
    }
    await ctx.store.deleteObjects(due.map((item) => item.objectKey));
    await ctx.index.forgetGarbage(due.map((item) => item.objectKey));
    report.deletedObjects += due.length;
    if (due.length < BATCH) break;
  }
  return report;
}

async function drain(step: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step(BATCH);
    total += done;
    if (done < BATCH) return total;
  }
}
