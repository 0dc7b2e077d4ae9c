/** What every domain operation runs against: the two adapters, the settings and a clock. */
import type { FileIndex } from './file-index.ts';
import type { ObjectStore } from './object-store.ts';
import type { DfsSettings } from './settings.ts';

export interface DfsContext {
  index: FileIndex;
  store: ObjectStore;
  settings: DfsSettings;
  clock: () => Date;
}

export const isoAfter = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000).toISOString();

/**
 * When an object that just lost its last reference may be deleted: not before every
 * presigned URL already handed out for it (a version's GETs, an upload's PUTs) has expired.
 */
export const garbageDueAt = (ctx: DfsContext, now: Date) => isoAfter(now, ctx.settings.urlExpiresSeconds);

/**
 * The same for the bytes of an upload that will never be committed, whose PUT URLs may still be
 * valid: a PUT that began before its URL expired can land long after (a big file on a slow
 * link) and recreate the object, so they wait DFS_CLEANUP_GRACE more.
 */
export const uncommittedGarbageDueAt = (ctx: DfsContext, now: Date) => isoAfter(now, ctx.settings.urlExpiresSeconds + ctx.settings.cleanupGraceSeconds);
