import { closeSync, fchmodSync, fchownSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';

/** The regular file at `path` a download is about to replace, if one is there. */
export function fileThere(path: string): Stats | undefined {
  const there = statSync(path, { throwIfNoEntry: false });
  return there?.isFile() ? there : undefined;
}

/**
 * The mode to make a side file with, so that the bytes of a private file are never readable by
 * others meanwhile: the file's own, plus reading and writing by its owner, which the download
 * needs (a rerun continues it; its hash reads it back).
 */
export const modeToKeep = (there: Stats | undefined): number => (there ? (there.mode & 0o777) | 0o600 : 0o666);

/**
 * Gives the side file open as `fd`, about to be renamed over the file `there`, that file's mode
 * and group (and, as root, its owner): a download replacing a file keeps it as private
 * (0600), as shared with its group, or as executable as it was, as cp writing into it does; a
 * rename alone would give it the umask's and our own group. Through the descriptor, never the
 * side file's path, which someone could have swapped for a link meanwhile.
 */
export function keepModeAndOwner(fd: number, there: Stats | undefined): void {
  if (!there) return;
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
 * A new file at `path`, never one written through what is there: a link left there (by a run
 * killed with this pid, or by someone else) would have the data written where it points. Made
 * with O_EXCL, which refuses a link too; what was there goes, and the file is made again.
 */
function openAfresh(path: string, mode: number | undefined): number {
  try {
    return openSync(path, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    rmSync(path, { force: true });
    return openSync(path, 'wx', mode);
  }
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
  { aside = `${path}.${process.pid}.tmp`, mode, replacing }: { aside?: string; mode?: number; replacing?: Stats } = {},
): void {
  try {
    const fd = openAfresh(aside, replacing ? modeToKeep(replacing) : mode);
    try {
      writeFileSync(fd, data);
      keepModeAndOwner(fd, replacing);
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
