import { closeSync, fchmodSync, fchownSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';

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
 * Gives the side file open as `fd`, about to be renamed over `path`, the mode and group of the
 * file at `path` (and, as root, its owner): a download replacing a file keeps it as private
 * (0600), as shared with its group, or as executable as it was, as cp writing into it does; a
 * rename alone would give it the umask's and our own group. Through the descriptor, never the
 * side file's path, which someone could have swapped for a link meanwhile.
 */
export function keepModeAndOwner(fd: number, path: string): void {
  const there = statSync(path, { throwIfNoEntry: false });
  if (!there?.isFile()) return;
  let mode = there.mode & 0o777;
  try {
    fchownSync(fd, process.getuid?.() === 0 ? there.uid : -1, there.gid);
  } catch {
    // Not ours to give (a group we are not in, an id a user namespace does not map): the file is
    // in our own group then, which must not get what the file's group had.
    mode &= ~0o070;
  }
  fchmodSync(fd, mode);
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
    const fd = openSync(aside, 'wx', keepAttributes ? modeToKeep(path) : mode);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      if (keepAttributes) keepModeAndOwner(fd, path);
    } finally {
      closeSync(fd);
    }
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
