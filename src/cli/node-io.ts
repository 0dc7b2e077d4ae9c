/** The CLI's side of the transfer engine: files as Blobs, digests, resume state, part files. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DownloadSink } from '../client/download.ts';
import type { ResumeState, ResumeStore } from '../client/upload.ts';

export const fileSource = (path: string) => openAsBlob(path);

export const md5Base64 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');

export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

const cacheDir = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dfs', 'uploads');
const fileFor = (key: string) => join(cacheDir(), `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);

/** Interrupted uploads, one small JSON file each under ~/.cache/dfs/uploads. */
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
    await writeFile(fileFor(key), JSON.stringify(state));
  },
  async delete(key) {
    await rm(fileFor(key), { force: true });
  },
};

interface PartFileState {
  version: string;
  size: number;
  rangeSize: number;
  done: number[];
}

/**
 * A download in progress: bytes go to `<dest>.dfs-part` at their offsets, and the ranges
 * finished so far to `<dest>.dfs-part.json`, so a rerun continues where it stopped.
 */
export class PartFile implements DownloadSink {
  readonly path: string;
  readonly #statePath: string;
  #handle: FileHandle | null = null;
  #state: PartFileState;

  private constructor(dest: string, state: PartFileState) {
    this.path = `${dest}.dfs-part`;
    this.#statePath = `${dest}.dfs-part.json`;
    this.#state = state;
  }

  static async open(dest: string, version: string, size: number, rangeSize: number): Promise<PartFile> {
    let state: PartFileState = { version, size, rangeSize, done: [] };
    try {
      const saved = JSON.parse(await readFile(`${dest}.dfs-part.json`, 'utf8')) as PartFileState;
      if (saved.version === version && saved.size === size && saved.rangeSize === rangeSize) state = saved;
    } catch {
      // No earlier run, or an unreadable one: start over.
    }
    const file = new PartFile(dest, state);
    file.#handle = await open(file.path, state.done.length > 0 ? 'r+' : 'w').catch(() => open(file.path, 'w'));
    return file;
  }

  get done(): ReadonlySet<number> {
    return new Set(this.#state.done);
  }

  async write(position: number, bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.#handle!.write(bytes, written, bytes.length - written, position + written);
      written += bytesWritten;
    }
  }

  async rangeDone(start: number): Promise<void> {
    this.#state.done.push(start);
    await writeFile(this.#statePath, JSON.stringify(this.#state));
  }

  async finish(dest: string): Promise<void> {
    await this.#handle!.close();
    await rename(this.path, dest);
    await rm(this.#statePath, { force: true });
  }

  async discard(): Promise<void> {
    await this.#handle?.close();
    await rm(this.path, { force: true });
    await rm(this.#statePath, { force: true });
  }

  async close(): Promise<void> {
    await this.#handle?.close();
  }
}
