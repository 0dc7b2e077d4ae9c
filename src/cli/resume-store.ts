/** Interrupted uploads, remembered as one small JSON file each under ~/.cache/dfs/uploads. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResumeState, ResumeStore } from '../client/upload.ts';
import { replaceFile } from './replace-file.ts';

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
    replaceFile(fileFor(key), JSON.stringify(state));
  },
  async delete(key) {
    await rm(fileFor(key), { force: true });
  },
};
