/** Taking over a lock file whose holder is judged gone, by the download lock and the profile lock alike. */
import { link, rename, rm } from 'node:fs/promises';

/**
 * Removes the lock at `lockPath`, judged stale. Moved aside first, which only one of two takers
 * can do; `stillStale` looks at what was moved, and one taken since the judgement (a newer lock)
 * is put back. Whether the stale lock is gone (false: a newer one holds).
 */
export async function removeStaleLock(lockPath: string, stillStale: (moved: string) => Promise<boolean>): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const stale = await stillStale(aside);
  if (!stale) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
  return stale;
}
