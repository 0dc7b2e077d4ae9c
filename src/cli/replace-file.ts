import { renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Writes `data` beside `path` (at `aside`) and renames it into place: whenever the process is
 * killed, `path` holds the old content or the new, never half of either. Synchronous: every
 * caller writes little (a small download, up to 256 KiB; a resume state), for which the page
 * cache is cheaper than two thread-pool hops per call.
 */
export function replaceFile(path: string, data: string | Uint8Array, { aside = `${path}.${process.pid}.tmp`, mode }: { aside?: string; mode?: number } = {}): void {
  try {
    // Made afresh, never written through what is there: a link left at the side path (by a run
    // killed with this pid, or by someone else) would have the data written where it points.
    rmSync(aside, { force: true });
    writeFileSync(aside, data, { mode, flag: 'wx' });
    renameSync(aside, path);
  } catch (error) {
    // Nothing continues from a copy that was not renamed (the caller holds the data): it goes,
    // and the failure reported is the write's or the rename's.
    try {
      unlinkSync(aside);
    } catch {
      // Never written.
    }
    throw error;
  }
}
