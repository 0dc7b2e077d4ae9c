/**
 * A lock file naming the process that holds it: the download lock (a side file one download
 * at a time writes) and the resume lock (choosing the upload a put continues). A lock left by
 * a process killed while holding it (kill -9, a crash, a power cut) is taken over.
 */
import { rmSync } from 'node:fs';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeStaleLock } from './stale-lock.ts';

export interface PidLockOptions {
  /** What a running holder means: wait for it to let go, or fail at once with this error. */
  whenHeld: 'wait' | ((pid: number) => Error);
  /**
   * For a lock held only for a short step: one this old is taken over even if its pid runs,
   * since after a reboot that pid may be another program's, and a lock in ~/.cache outlives one.
   */
  heldAtMostMs?: number;
  signal?: AbortSignal;
}

/** Locks this process holds, removed however it exits (Ctrl-C included). */
const held = new Set<string>();
process.once('exit', () => {
  for (const lockPath of held) rmSync(lockPath, { force: true });
});

/**
 * Takes the lock at `lockPath`; resolves with its release. The lock appears whole, pid inside,
 * by a link from a file of this process's own: never empty while another looks. A process
 * takes one lock once at a time (its callers never name one file, or one upload, twice at once).
 */
export async function acquirePidLock(lockPath: string, options: PidLockOptions): Promise<() => Promise<void>> {
  const mine = `${lockPath}.l${process.pid}`;
  try {
    // Inside the try: a write that fails (a full disk) may have made the file already.
    await writeFile(mine, String(process.pid));
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        await link(mine, lockPath);
        held.add(lockPath);
        return () => release(lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await holderOf(lockPath);
      if (holder === null) continue;
      if (isRunning(holder.pid) && Date.now() - holder.since < (options.heldAtMostMs ?? Infinity)) {
        if (options.whenHeld !== 'wait') throw options.whenHeld(holder.pid);
        // Jittered, so waiting processes do not try again in step.
        await sleep(25 + Math.random() * 25);
        continue;
      }
      // Moved aside and looked at again: a lock taken anew since this judgement is put back,
      // and met as a running holder on the next turn.
      await removeStaleLock(lockPath, async (moved) => {
        const now = await holderOf(moved);
        return now === null || (now.pid === holder.pid && now.since === holder.since);
      });
    }
  } finally {
    await rm(mine, { force: true });
  }
}

/** Removes the lock unless another process took it over meanwhile (it was held too long). */
async function release(lockPath: string): Promise<void> {
  if (!held.delete(lockPath)) return;
  if ((await holderOf(lockPath))?.pid === process.pid) await rm(lockPath, { force: true });
}

/** The pid a lock names and when it was taken; null when it is gone. */
async function holderOf(lockPath: string): Promise<{ pid: number; since: number } | null> {
  try {
    const [pid, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { pid: Number(pid), since: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Whether a process with this pid runs (a pid that is no number, from a damaged lock: none). */
function isRunning(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
