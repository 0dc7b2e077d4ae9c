/**
 * A lock file naming the process that holds it: the server's index lock (one server per index
 * file), and the CLI's download lock (a side file one download at a time writes), resume lock
 * (choosing the upload a put continues) and profile lock (logins adding to one config file). A
 * lock whose process is gone (kill -9, a crash), or that was taken before the machine last
 * started, is taken over.
 */
import { readFileSync, rmSync } from 'node:fs';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PidLockOptions {
  /** What a running holder means: wait for it to let go, or fail at once with this error. */
  whenHeld: 'wait' | ((pid: number) => Error);
  /** For a lock held only for a moment: one this old is taken over even if its pid runs. */
  heldAtMostMs?: number;
  /** The file's mode (the default: as the umask makes it). */
  mode?: number;
  signal?: AbortSignal;
}

/** Locks this process holds, removed however it exits (Ctrl-C included). */
const held = new Set<string>();
/** The files of this process's own a lock is linked from while it is taken: an exit mid-take leaves none behind. */
const making = new Set<string>();
process.once('exit', () => {
  for (const lockPath of held) {
    try {
      // Unless another process took it over meanwhile.
      if (readFileSync(lockPath, 'utf8') === String(process.pid)) rmSync(lockPath, { force: true });
    } catch {
      // Gone already.
    }
  }
  for (const own of making) rmSync(own, { force: true });
});

/**
 * Takes the lock at `lockPath`; resolves with its release. The lock appears whole, pid inside,
 * by a link from a file of this process's own, written afresh before each try so that the lock's
 * time is when it was taken, not when the wait for it began.
 */
export async function acquirePidLock(lockPath: string, options: PidLockOptions): Promise<() => Promise<void>> {
  const mine = `${lockPath}.l${process.pid}`;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      let written = false;
      try {
        // Inside the try: a write that fails (a full disk) may have made the file already. Made
        // afresh, never written through a link left there.
        await rm(mine, { force: true });
        making.add(mine);
        await writeFile(mine, String(process.pid), { mode: options.mode, flag: 'wx' });
        written = true;
        await link(mine, lockPath);
        held.add(lockPath);
        return () => release(lockPath);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        // ENOENT at the link: another take of this process removed `mine` between the write and
        // the link. At the write, the folder itself is gone (removed under a running download),
        // which no wait brings back: trying again would spin for ever.
        if (!['EEXIST', 'ENOENT'].includes(code) || (code === 'ENOENT' && !written)) throw error;
      }
      const holder = await holderOf(lockPath);
      if (holder === null) continue;
      if (!isStale(holder, options.heldAtMostMs)) {
        if (options.whenHeld !== 'wait') throw options.whenHeld(holder.pid);
        // Jittered, so waiting processes do not try again in step.
        await sleep(25 + Math.random() * 25);
        continue;
      }
      await removeStale(lockPath, holder);
    }
  } finally {
    await rm(mine, { force: true });
    making.delete(mine);
  }
}

interface Holder {
  pid: number;
  /** When the lock was taken (its file's time). */
  since: number;
}

function isStale(holder: Holder, heldAtMostMs = Infinity): boolean {
  const bootedAt = Date.now() - uptime() * 1000;
  // This pid's, from before this process started: left by an earlier one that had the same pid,
  // as each start of a container does (its first process is pid 1).
  const leftByAnEarlierSelf = holder.pid === process.pid && holder.since < Date.now() - process.uptime() * 1000;
  // Before the last start, the pid may be another program's now.
  return !isRunning(holder.pid) || leftByAnEarlierSelf || holder.since < bootedAt || Date.now() - holder.since > heldAtMostMs;
}

/**
 * Removes the stale lock. Moved aside first, which only one of two takers can do, and looked at
 * again there: a lock taken anew since the judgement is put back, and met as a holder next turn.
 */
async function removeStale(lockPath: string, judged: Holder): Promise<void> {
  const aside = `${lockPath}.${process.pid}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await holderOf(aside);
  if (moved !== null && (moved.pid !== judged.pid || moved.since !== judged.since)) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Removes the lock unless another process took it over meanwhile (it was held too long). */
async function release(lockPath: string): Promise<void> {
  if (!held.has(lockPath)) return;
  // Forgotten only once removed: an exit meanwhile (Ctrl-C) still removes it.
  if ((await holderOf(lockPath))?.pid === process.pid) await rm(lockPath, { force: true });
  held.delete(lockPath);
}

/** The pid a lock names and when it was taken; null when it is gone. */
async function holderOf(lockPath: string): Promise<Holder | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    // A damaged lock names no process (0): as NaN it would never equal itself when looked at again.
    const pid = Number(text);
    return { pid: Number.isInteger(pid) ? pid : 0, since: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Whether a process with this pid runs (none for 0, what holderOf makes of a damaged lock). */
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
