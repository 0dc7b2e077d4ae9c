/**
 * A download in progress: bytes go to `<dest>.dfs-part` at their offsets, the ranges finished
 * so far to `<dest>.dfs-part.json` (so a rerun continues where it stopped), and the SHA-256
 * follows the finished front of the file on a worker thread, overlapping the transfer.
 */
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import type { DownloadIo } from '../client/download.ts';
import { GrowingFileHash } from './hash-pool.ts';
import { getInto } from './http-transport.ts';
import { replaceFile } from './replace-file.ts';

interface PartFileState {
  version: string;
  size: number;
  rangeSize: number;
  /** Bytes done from the start of the file, in whole ranges (absent in states of older runs: 0). */
  front?: number;
  /** Starts of the ranges done beyond `front`: a few, so each save stays small however big the file. */
  done: number[];
}

export class PartFile implements DownloadIo {
  readonly path: string;
  readonly #statePath: string;
  /** What a saved state must match to be continued; the ranges done are kept below. */
  readonly #file: Pick<PartFileState, 'version' | 'size' | 'rangeSize'>;
  readonly #done: Set<number>;
  /** The done ranges past the front, as saved. */
  readonly #ahead: Set<number>;
  readonly #hash: GrowingFileHash;
  #handle: FileHandle | null = null;
  #front = 0;

  private constructor(dest: string, state: PartFileState) {
    this.path = `${dest}.dfs-part`;
    this.#statePath = `${dest}.dfs-part.json`;
    this.#file = { version: state.version, size: state.size, rangeSize: state.rangeSize };
    this.#done = new Set(state.done);
    for (let start = 0; start < (state.front ?? 0); start += state.rangeSize) this.#done.add(start);
    this.#ahead = new Set(state.done);
    this.#hash = new GrowingFileHash(this.path);
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
    file.#handle = await open(file.path, file.#done.size > 0 ? 'r+' : 'w').catch(() => open(file.path, 'w'));
    await file.#handle.truncate(size);
    file.#advanceHash();
    return file;
  }

  get done(): ReadonlySet<number> {
    return this.#done;
  }

  get(url: string, start: number, end: number, whole: boolean, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<void> {
    return getInto(url, { fd: this.#handle!.fd, start, end }, whole, onBytes, signal);
  }

  rangeDone(start: number): void {
    this.#done.add(start);
    this.#ahead.add(start);
    this.#advanceHash();
    for (const ahead of this.#ahead) if (ahead < this.#front) this.#ahead.delete(ahead);
    replaceFile(this.#statePath, JSON.stringify({ ...this.#file, front: this.#front, done: [...this.#ahead] } satisfies PartFileState));
  }

  #advanceHash(): void {
    while (this.#front < this.#file.size && this.#done.has(this.#front)) this.#front += this.#file.rangeSize;
    this.#hash.advance(Math.min(this.#front, this.#file.size));
  }

  /** The SHA-256 of the whole file, once every range is done. */
  sha256(): Promise<string> {
    return this.#hash.digest(this.#file.size);
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = null;
  }

  async finish(dest: string): Promise<void> {
    await this.close();
    await rename(this.path, dest);
    await rm(this.#statePath, { force: true });
  }

  async discard(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    await rm(this.#statePath, { force: true });
  }
}
