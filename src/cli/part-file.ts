/**
 * A download in progress: bytes go to `<dest>.dfs-part` at their offsets, the ranges finished
 * so far to `<dest>.dfs-part.json` (so a rerun continues where it stopped), and the SHA-256
 * follows the finished front of the file on a worker thread, overlapping the transfer. One
 * process at a time: `<dest>.dfs-part.lock` holds the pid of the one downloading.
 */
import { createHash } from 'node:crypto';
import { constants, rmSync, type Stats } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { DownloadIo } from '../client/download.ts';
import { GrowingFileHash } from './hash-pool.ts';
import { getInto } from './http-transport.ts';
import { shown } from './output.ts';
import { fileThere, keepModeAndOwner, modeToKeep, replaceFile } from './replace-file.ts';
import { acquirePidLock } from '../runtime/pid-lock.ts';

interface PartFileState {
  version: string;
  size: number;
  rangeSize: number;
  /** Bytes done from the start of the file, in whole ranges (absent in states of older runs: 0). */
  front?: number;
  /** Starts of the ranges done beyond `front`: a few, so each save stays small however big the file. */
  done: number[];
}

/** The longest file name, in bytes, that Linux, macOS and the BSDs take. */
const NAME_MAX = 255;
/** The most a side file adds to its destination's name: the state's temporary copy (replace-file.ts) with a pid of up to 7 digits (Linux's limit is 4194304). */
const LONGEST_SUFFIX = '.dfs-part.json.4194304.tmp'.length;

const PART_SUFFIX = '.dfs-part';
/**
 * What a download keeps beside its destination, after its partPath: the part file itself (""),
 * its state (.json) and the state's temporary copy (.json.<pid>.tmp, replace-file.ts), the lock
 * (.lock), the lock moved aside while taken over (.lock.<pid>), the file linked to make the lock
 * (.lock.l<pid>, pid-lock.ts), and a small download's copy (.<pid>, smallSidePath). A pid stands for any: which pid
 * a run gets must not decide whether two names clash.
 */
const SIDE_SUFFIX = /^(?:|\.json|\.json\.\d+\.tmp|\.lock|\.lock\.l?\d+|\.\d+)$/;

/**
 * A side file opened without following a link: dfs makes its side files itself, so a link at
 * one was left by someone else, and the bytes written (unverified yet) would go wherever it
 * points, replacing that file's content.
 */
async function openSide(path: string, flags: number, mode = 0o666): Promise<FileHandle> {
  try {
    return await open(path, flags | constants.O_NOFOLLOW, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`${shown(path)} is a symbolic link, not a side file of dfs: move it away`, { cause: error });
    throw error;
  }
}

/**
 * Where a download to `dest` is written before its rename: `<dest>.dfs-part`, or for a name too
 * long to take the side files' suffixes, a fixed-length name from its SHA-256 in the same folder.
 * Either way the same on every run, so a rerun finds what an interrupted one left.
 */
export function partPath(dest: string): string {
  const name = basename(dest);
  if (Buffer.byteLength(name) + LONGEST_SUFFIX <= NAME_MAX) return `${dest}${PART_SUFFIX}`;
  return join(dirname(dest), `${createHash('sha256').update(name).digest('hex').slice(0, 32)}${PART_SUFFIX}`);
}

/** Where a small download to `dest` is written before its rename: not partPath(dest), which a ranged download of the same file by another run may hold. */
export const smallSidePath = (dest: string) => `${partPath(dest)}.${process.pid}`;

export interface SideFileClash {
  /** The destination whose download keeps a side file there. */
  owner: string;
  /** That side file: the destination itself, or a folder it would be written in. */
  side: string;
}

/**
 * The destinations among these that a download to another of them would write over, or into,
 * with its side files: fetched together, one of the two is lost whichever comes first.
 */
export function sideFileClashes(dests: readonly string[]): Map<string, SideFileClash> {
  const owners = new Map(dests.map((dest) => [partPath(dest), dest]));
  const clashes = new Map<string, SideFileClash>();
  for (const dest of dests) {
    const clash = clashOf(dest, owners);
    if (clash) clashes.set(dest, clash);
  }
  return clashes;
}

/** The side file that `dest` is or lies in, of a destination `owners` holds by its partPath. */
function clashOf(dest: string, owners: ReadonlyMap<string, string>): SideFileClash | null {
  for (let at = dest.indexOf(PART_SUFFIX); at >= 0; at = dest.indexOf(PART_SUFFIX, at + 1)) {
    const part = dest.slice(0, at + PART_SUFFIX.length);
    const owner = owners.get(part);
    const rest = dest.slice(part.length);
    const suffix = rest.includes(sep) ? rest.slice(0, rest.indexOf(sep)) : rest;
    if (owner !== undefined && SIDE_SUFFIX.test(suffix)) return { owner, side: part + suffix };
  }
  return null;
}

/**
 * Side files of this process holding no byte a rerun could use: an exit under way (Ctrl-C, a
 * kill) removes them rather than leave a full-size file of zeros beside the destination.
 */
const nothingKept = new Set<string>();
process.once('exit', () => {
  for (const path of nothingKept) rmSync(path, { force: true });
});

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
  /** Lets go of `<path>.lock`: once, whichever of close, finish and discard comes first. */
  readonly #unlock: () => Promise<void>;

  private constructor(path: string, state: PartFileState, unlock: () => Promise<void>) {
    this.path = path;
    this.#unlock = unlock;
    this.#statePath = `${path}.json`;
    this.#file = { version: state.version, size: state.size, rangeSize: state.rangeSize };
    this.#done = new Set(state.done);
    for (let start = 0; start < (state.front ?? 0); start += state.rangeSize) this.#done.add(start);
    this.#ahead = new Set(state.done);
    this.#hash = new GrowingFileHash(this.path);
  }

  /**
   * Two downloads into one side file would cut each other's ranges short and rename or remove
   * it under each other: the second one fails at once, naming the first.
   */
  /** `there`: the file `dest` holds now, looked at already, whose mode the new one keeps. */
  static async open(dest: string, version: string, size: number, rangeSize: number, there?: Stats): Promise<PartFile> {
    const path = partPath(dest);
    const unlock = await acquirePidLock(`${path}.lock`, {
      whenHeld: (pid) =>
        new Error(pid === process.pid ? `${shown(dest)} is written by another download of this same run (a link to it?)` : `another dfs (pid ${pid}) is downloading to ${shown(dest)}: wait for it, or stop it`),
    });
    try {
      return await PartFile.#open(path, version, size, rangeSize, unlock, modeToKeep(there));
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  static async #open(path: string, version: string, size: number, rangeSize: number, unlock: () => Promise<void>, mode: number): Promise<PartFile> {
    const fresh: PartFileState = { version, size, rangeSize, done: [] };
    const saved = await savedState(`${path}.json`, fresh);
    // The ranges a state lists are there only while its part file (made full size at once) is:
    // one deleted or cut short starts over, and its state goes, or a later run would trust it.
    const kept = saved ? await openSide(path, constants.O_RDWR).catch(() => null) : null;
    const state = saved && kept && (await kept.stat()).size >= size ? saved : fresh;
    if (saved && state !== saved) await rm(`${path}.json`, { force: true });
    const file = new PartFile(path, state, unlock);
    file.#handle = kept ?? (await openSide(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, mode));
    // Only once it is this run's own file: what stood there (a link someone left) is never removed.
    if (state === fresh) nothingKept.add(path);
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
    nothingKept.delete(this.path);
  }

  #advanceHash(): void {
    while (this.#front < this.#file.size && this.#done.has(this.#front)) this.#front += this.#file.rangeSize;
    this.#hash.advance(Math.min(this.#front, this.#file.size));
  }

  /** The SHA-256 of the whole file, once every range is done. */
  sha256(): Promise<string> {
    return this.#hash.digest(this.#file.size);
  }

  /** Done with it for this run; what a rerun needs stays. */
  async close(): Promise<void> {
    await this.#closeHandle();
    if (nothingKept.delete(this.path)) await rm(this.path, { force: true });
    await this.#unlock();
  }

  async #closeHandle(): Promise<void> {
    await this.#handle?.close();
    this.#handle = null;
  }

  async finish(dest: string): Promise<void> {
    // Looked at now, not when the download began: the file may have changed meanwhile.
    if (this.#handle) keepModeAndOwner(this.#handle.fd, fileThere(dest));
    await this.#closeHandle();
    // The state first: a run stopped between the two leaves a side file a rerun starts afresh,
    // never a state beside a finished file, which a rerun skips and so never tidies.
    await rm(this.#statePath, { force: true });
    await rename(this.path, dest);
    nothingKept.delete(this.path);
    await this.#unlock();
  }

  async discard(): Promise<void> {
    await this.#closeHandle();
    await rm(this.path, { force: true });
    nothingKept.delete(this.path);
    await rm(this.#statePath, { force: true });
    await this.#unlock();
  }
}

/** An earlier run's state of this same download with ranges done, or null: none, another version's, or unreadable. */
async function savedState(path: string, expected: PartFileState): Promise<PartFileState | null> {
  try {
    const saved = JSON.parse(await readFile(path, 'utf8')) as PartFileState;
    const same = saved.version === expected.version && saved.size === expected.size && saved.rangeSize === expected.rangeSize;
    return same && (saved.done.length > 0 || (saved.front ?? 0) > 0) ? saved : null;
  } catch {
    return null;
  }
}
