/**
 * The cleanup job: aborts expired uploads, drops versions past retention, forgets expired share
 * links and deletes objects nothing references any more. Idempotent and safe to run on several instances at once and
 * alongside traffic: every index step is a guarded batch, objects are deleted only after the
 * index says no version or pending upload references them, and references are never added to
 * an object without one (copy and restore take them from a live version).
 */
import { garbageDueAt, isoAfter, type DfsContext } from './context.ts';

export interface CleanupReport {
  expiredUploads: number;
  prunedVersions: number;
  deletedObjects: number;
  /** Objects the store refused to delete this run: tried again after RETRY_REFUSED_SECONDS. */
  refusedObjects: number;
  purgedUploads: number;
  expiredShares: number;
}

const BATCH = 500;
const RETRY_REFUSED_SECONDS = 3600;

export async function runCleanup(ctx: DfsContext): Promise<CleanupReport> {
  const now = ctx.clock();
  const nowIso = now.toISOString();
  const { cleanupGraceSeconds, keepDays } = ctx.settings;
  // An upload may still be committing just after it expired: leave it the grace period.
  const uploadCutoff = isoAfter(now, -cleanupGraceSeconds);
  const report: CleanupReport = { expiredUploads: 0, prunedVersions: 0, deletedObjects: 0, refusedObjects: 0, purgedUploads: 0, expiredShares: 0 };

  report.expiredUploads = await drain((limit) => ctx.index.expireUploads(uploadCutoff, nowIso, limit));
  report.prunedVersions = await drain((limit) =>
    ctx.index.pruneVersions(isoAfter(now, -keepDays * 86400), garbageDueAt(ctx, now), limit),
  );
  report.purgedUploads = await drain((limit) => ctx.index.purgeUploads(uploadCutoff, limit));
  report.expiredShares = await drain((limit) => ctx.index.purgeShares(nowIso, limit));

  // An object the store refuses goes to the back of the queue: the oldest rows come first,
  // so one that is refused for ever would otherwise stop every later deletion.
  for (;;) {
    const due = await ctx.index.dueGarbage(nowIso, BATCH);
    if (due.length === 0) break;
    const refused = new Set<string>();
    for (const item of due) {
      if (item.multipartId !== null && !(await ctx.store.abortMultipart(item.objectKey, item.multipartId))) refused.add(item.objectKey);
    }
    const deletable = due.map((item) => item.objectKey).filter((key) => !refused.has(key));
    for (const key of await ctx.store.deleteObjects(deletable)) refused.add(key);
    await ctx.index.forgetGarbage(deletable.filter((key) => !refused.has(key)));
    await ctx.index.postponeGarbage([...refused], isoAfter(now, RETRY_REFUSED_SECONDS));
    report.deletedObjects += due.length - refused.size;
    report.refusedObjects += refused.size;
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
