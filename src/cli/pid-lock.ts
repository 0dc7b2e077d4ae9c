/**
 * A lock file naming the process that holds it, waited for while that process runs: for a
 * short step one process at a time must take (choosing the upload a put resumes). A lock left
 * by a process killed while holding it (kill -9, a crash, a power cut) is taken over.
 */
import { rmSync } from 'node:fs';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeStaleLock } from './stale-lock.ts';

/**
 * Longer than any holder keeps one (a few API calls, each retried for at most ~15 s): a lock
 * this old is taken over even if its pid runs, since after a reboot that pid may be another
 * program's, and a lock kept in ~/.cache outlives a reboot.
 */
const HELD_AT_MOST_MS = 10 * 60_000;

/** Locks this process holds, removed however it exits (Ctrl-C included). */
const held = new Set<string>();
process.once('exit', () => {
  for (const lockPath of held) rmSync(lockPath, { force: true });
});

/** Files this process links its locks from: one per wait, so two waits in one process never share one. */
let waits = 0;

/**
 * Takes the lock at `lockPath` once no running process holds it; resolves with its release.
 * The lock appears whole, pid inside, by a link from a file of this wait's own: never empty
 * while another looks.
 */
export async function acquirePidLock(lockPath: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const mine = `${lockPath}.${process.pid}-${++waits}`;
  try {
    // Inside the try: a write that fails (a full disk) may have made the file already.
    await writeFile(mine, String(process.pid));
    for (;;) {
      signal?.throwIfAborted();
      try {
        await link(mine, lockPath);
        held.add(lockPath);
        return () => release(lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await holderOf(lockPath);
      if (holder === null) continue;
      if (isRunning(holder.pid) && Date.now() - holder.since < HELD_AT_MOST_MS) {
        // Jittered, so waiting processes do not try again in step.
        await sleep(25 + Math.random() * 25);
        continue;
      }
      // Moved aside and looked at again: a lock taken anew since this judgement is put back.
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
export function isRunning(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
