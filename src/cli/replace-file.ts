import { chmodSync, chownSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * The mode to make a side file with, so that the bytes of a private file are never readable by
 * others meanwhile: the file's own, plus reading and writing by its owner, which the download
 * needs (a rerun continues it; its hash reads it back).
 */
export function modeToKeep(path: string): number {
  const there = statSync(path, { throwIfNoEntry: false });
  return there?.isFile() ? (there.mode & 0o777) | 0o600 : 0o666;
}

/**
 * Gives `aside`, about to be renamed over `path`, the mode and owner of the file at `path`, if
 * one is there: a download replacing a file keeps it as private (0600) or as executable as it
 * was, as cp writing into it does; a rename alone would give it the umask's. The owner only when
 * this process may set it (root): anyone else's file in a folder of theirs becomes theirs anyway.
 */
export function keepModeAndOwner(aside: string, path: string): void {
  const there = statSync(path, { throwIfNoEntry: false });
  if (!there?.isFile()) return;
  chmodSync(aside, there.mode & 0o7777);
  if (process.getuid?.() === 0 && (there.uid !== 0 || there.gid !== 0)) chownSync(aside, there.uid, there.gid);
}

/**
 * Writes `data` beside `path` (at `aside`) and renames it into place: whenever the process is
 * killed, `path` holds the old content or the new, never half of either. Synchronous: every
 * caller writes little (a small download, up to 256 KiB; a resume state), for which the page
 * cache is cheaper than two thread-pool hops per call.
 */
export function replaceFile(
  path: string,
  data: string | Uint8Array,
  { aside = `${path}.${process.pid}.tmp`, mode, keepAttributes = false }: { aside?: string; mode?: number; keepAttributes?: boolean } = {},
): void {
  try {
    // Made afresh, never written through what is there: a link left at the side path (by a run
    // killed with this pid, or by someone else) would have the data written where it points.
    rmSync(aside, { force: true });
    writeFileSync(aside, data, { mode: keepAttributes ? modeToKeep(path) : mode, flag: 'wx' });
    if (keepAttributes) keepModeAndOwner(aside, path);
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
