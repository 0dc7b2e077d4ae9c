/** Interrupted uploads, remembered as one small JSON file each under ~/.cache/dfs/uploads. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResumeState, ResumeStore } from '../client/upload.ts';

const cacheDir = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dfs', 'uploads');
const fileFor = (key: string) => join(cacheDir(), `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);

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
    // Written aside and renamed: a kill mid-write must not leave half a state file behind.
    const file = fileFor(key);
    await writeFile(`${file}.${process.pid}.tmp`, JSON.stringify(state));
    await rename(`${file}.${process.pid}.tmp`, file);
  },
  async delete(key) {
    await rm(fileFor(key), { force: true });
  },
};
