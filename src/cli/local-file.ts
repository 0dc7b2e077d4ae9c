/**
 * Local files as the transfer engine's UploadIo. Nothing of a big file is held in memory: a
 * worker reads the parts for their MD5s, up to eight parts side by side on SIMD lanes (MD5 is
 * the costliest thing the client does per byte), then reads the file once more, front to back,
 * for its SHA-256; each part streams from the page cache as it is sent. A file sent in one PUT
 * is hashed in one pass (MD5 and SHA-256 together); a tiny file is read once and hashed inline
 * (a worker round trip would cost more than the hash).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { PartRange, UploadIo, UploadPart } from '../client/upload.ts';
import { hashRange, md5sOfRanges, sha256OfFile } from './hash-pool.ts';
import { put } from './http-transport.ts';
import { MAX_LANES } from './md5-lanes.ts';

const INLINE_MAX = 64 * 1024;
const nothingToRelease = () => undefined;
const changed = () => new Error('changed while being uploaded: run the command again to send it as it is now');

/**
 * Throws unless the file still has the size (and, when known, the time) it was listed with.
 * Synchronous, as the walk's stats are: one through the thread pool costs more than the stat.
 */
function stillAsListed(path: string, size: number, mtimeMs?: number): void {
  const now = statSync(path, { throwIfNoEntry: false });
  if (now?.size !== size || (mtimeMs !== undefined && now.mtimeMs !== mtimeMs)) throw changed();
}

/** Whether a file of this size is hashed on the worker threads (a tiny one is hashed inline). */
export function hashedOnWorkers(size: number): boolean {
  return size > INLINE_MAX;
}

/** `mtimeMs` is the file's modification time when it was chosen, before any byte of it was read. */
export function localFile(path: string, size: number, mtimeMs?: number): UploadIo {
  if (!hashedOnWorkers(size)) return tinyFile(path, size);
  // Only a multipart upload announces parts; a file sent in one PUT is asked for as a whole.
  let parts: PartMd5s | null = null;
  // The interface lets an engine skip announcing: such a part is hashed alone.
  const alone = async (start: number, end: number) => (await hashRange(path, start, end, ['md5'])).md5!;
  const partOf = (start: number, end: number, md5: string): UploadPart => ({ md5, put: (url, headers, signal) => put(url, headers, { path, start, end }, signal), release: nothingToRelease });
  return {
    size,
    expect: (ranges) => {
      parts = new PartMd5s(path, ranges);
    },
    part: async (start, end) => partOf(start, end, await (parts?.md5(start, end) ?? alone(start, end))),
    sha256: () => sha256OfFile(path, size),
    async unchanged() {
      stillAsListed(path, size, mtimeMs);
    },
    async whole() {
      const { md5, sha256 } = await hashRange(path, 0, size, ['md5', 'sha256']);
      // The digests cover the size it was listed with: a file grown since (a log, an archive
      // being written) would be stored cut short, as a version that never was the file.
      stillAsListed(path, size, mtimeMs);
      return { part: partOf(0, size, md5!), sha256: sha256! };
    },
  };
}

/**
 * Consecutive parts of one length, up to MAX_LANES of them, hashed side by side on the SIMD
 * lanes; a part of another length (the short last one) starts a group of its own.
 */
export function laneGroups(ranges: readonly PartRange[]): PartRange[][] {
  const groups: PartRange[][] = [];
  for (const range of ranges) {
    const group = groups.at(-1);
    if (group && group.length < MAX_LANES && group[0]!.end - group[0]!.start === range.end - range.start) group.push(range);
    else groups.push([range]);
  }
  return groups;
}

/**
 * The MD5s of the parts an upload is about to send, taken in lane groups, one group ahead of
 * the part asked for, so a part's digest is mostly ready when the engine wants to send it.
 */
class PartMd5s {
  readonly #path: string;
  readonly #groups: PartRange[][];
  /** Where each announced part's digest comes from: its group, and its lane in the group. */
  readonly #placeOf = new Map<number, { group: number; lane: number; end: number }>();
  readonly #digests = new Map<number, Promise<string[]>>();

  /** `ranges`: the parts the upload is about to ask for, in order. */
  constructor(path: string, ranges: PartRange[]) {
    this.#path = path;
    this.#groups = laneGroups(ranges);
    this.#groups.forEach((group, index) => group.forEach((range, lane) => this.#placeOf.set(range.start, { group: index, lane, end: range.end })));
    // Hashing starts now, while the upload is being created, not when the first part is asked for.
    if (this.#groups.length > 0) this.#hash(0).catch(() => undefined);
  }

  /** The part's MD5 from its group, or null for a part that was not announced. */
  md5(start: number, end: number): Promise<string> | null {
    const place = this.#placeOf.get(start);
    if (place?.end !== end) return null;
    const digests = this.#hash(place.group);
    if (place.group + 1 < this.#groups.length) this.#hash(place.group + 1).catch(() => undefined);
    return digests.then((md5s) => md5s[place.lane]!);
  }

  #hash(index: number): Promise<string[]> {
    let digests = this.#digests.get(index);
    if (!digests) {
      const group = this.#groups[index]!;
      digests = group.length === 1 ? hashRange(this.#path, group[0]!.start, group[0]!.end, ['md5']).then(({ md5 }) => [md5!]) : md5sOfRanges(this.#path, group);
      this.#digests.set(index, digests);
    }
    return digests;
  }
}

function tinyFile(path: string, size: number): UploadIo {
  let content: Buffer | null = null;
  // Read at once, blocking for the ~20 us it takes: the four thread-pool round trips of an
  // asynchronous read (open, fstat, read, close) cost more CPU than that for 1000 small files.
  const read = () => {
    content ??= readFileSync(path);
    if (content.length !== size) throw changed();
    return content;
  };
  return {
    size,
    async part(start, end) {
      const bytes = read().subarray(start, end);
      return {
        md5: createHash('md5').update(bytes).digest('base64'),
        put: (url, headers, signal) => put(url, headers, bytes, signal),
        release: () => (content = null),
      };
    },
    sha256: async () => createHash('sha256').update(read()).digest('hex'),
  };
}
