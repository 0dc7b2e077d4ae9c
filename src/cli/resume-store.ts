/**
 * Interrupted uploads, remembered as one small JSON file each under ~/.cache/dfs/uploads. One
 * never continued is forgotten once no server could still hold its upload open. Puts of one file
 * at once take turns at choosing its upload by a lock beside the state (pid-lock.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResumeState, ResumeStore } from '../client/upload.ts';
import { acquirePidLock } from '../runtime/pid-lock.ts';
import { replaceFile } from './replace-file.ts';

const cacheDir = () => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dfs', 'uploads');
/** The longest a server keeps an upload open (DFS_UPLOAD_EXPIRES at most 30 days). */
const STALE_MS = 30 * 86_400_000;

const nameFor = (key: string) => join(cacheDir(), createHash('sha256').update(key).digest('hex').slice(0, 32));
const fileFor = (key: string) => `${nameFor(key)}.json`;

export const resumeStore: ResumeStore = {
  async get(key) {
    try {
      return JSON.parse(await readFile(fileFor(key), 'utf8')) as ResumeState;
    } catch {
      return null;
    }
  },
  async set(key, state) {
    await mkdir(cacheDir(), { recursive: true });
    replaceFile(fileFor(key), JSON.stringify(state));
    // Once a process, beside the transfer: nothing waits for it.
    swept ??= forgetStale().catch(() => undefined);
  },
  async delete(key) {
    await rm(fileFor(key), { force: true });
  },
  async claim(key, signal) {
    await mkdir(cacheDir(), { recursive: true });
    return acquirePidLock(`${nameFor(key)}.lock`, { whenHeld: 'wait', signal });
  },
};

let swept: Promise<void> | null = null;

/** Run as a process first remembers an upload: states pile up only as fast as uploads start. */
async function forgetStale(): Promise<void> {
  const cutoff = Date.now() - STALE_MS;
  for (const name of await readdir(cacheDir()).catch(() => [])) {
    const path = join(cacheDir(), name);
    const info = await stat(path).catch(() => null);
    if (info && info.mtimeMs < cutoff) await rm(path, { force: true });
  }
}
