/**
 * Local files as the transfer engine's UploadIo. Nothing of a big file is held in memory: a
 * worker reads each part for its MD5 (and, parts coming in file order, for the file's SHA-256
 * in the same read), then the part streams from the page cache as it is sent. A file sent in
 * one PUT is hashed by a worker in one pass (MD5 and SHA-256 together) and streamed likewise;
 * a tiny file is read once and hashed inline (a worker round trip would cost more than the hash).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { UploadIo } from '../client/upload.ts';
import { GrowingFileHash, hashRange, sha256OfFile } from './hash-pool.ts';
import { put } from './http-transport.ts';

const INLINE_MAX = 64 * 1024;
const nothingToRelease = () => undefined;

export function localFile(path: string, size: number): UploadIo {
  if (size <= INLINE_MAX) return tinyFile(path, size);
  let whole: ReturnType<typeof hashRange> | null = null;
  const digest = new PartFedDigest(path, size);
  return {
    size,
    async part(start, end) {
      // A whole file in one part hashes in one pass, unless the parts already feed the file's
      // digest (a multipart upload of a single part): that digest waits for this part.
      const md5 = start === 0 && end === size && !digest.started ? (await (whole ??= hashRange(path, 0, size, ['md5', 'sha256']))).md5 : await digest.md5(start, end);
      return { md5, put: (url, headers, signal) => put(url, headers, { path, start, end }, signal), release: nothingToRelease };
    },
    async sha256(plan) {
      if (whole) return (await whole).sha256!;
      return plan?.fromParts ? digest.start() : sha256OfFile(path, size);
    },
  };
}

/**
 * The file's SHA-256 taken in the same reads as its parts' MD5s, so the file is read for
 * hashing once, not twice. The engine asks for parts in file order; the worker refuses a part
 * that does not start where the running hash stands.
 */
class PartFedDigest {
  readonly #path: string;
  readonly #size: number;
  #hash: GrowingFileHash | null = null;
  #allFed: () => void = () => undefined;

  constructor(path: string, size: number) {
    this.#path = path;
    this.#size = size;
  }

  get started(): boolean {
    return this.#hash !== null;
  }

  /** From now on every part is fed, in order; resolves with the digest once all were. */
  start(): Promise<string> {
    const hash = (this.#hash = new GrowingFileHash(this.#path));
    return new Promise<void>((resolve) => (this.#allFed = resolve)).then(() => hash.digest(this.#size));
  }

  async md5(start: number, end: number): Promise<string> {
    if (!this.#hash) return (await hashRange(this.#path, start, end, ['md5'])).md5!;
    const md5 = this.#hash.md5AndAdvance(start, end);
    if (end === this.#size) this.#allFed();
    return md5;
  }
}

function tinyFile(path: string, size: number): UploadIo {
  let content: Promise<Buffer> | null = null;
  const read = () =>
    (content ??= readFile(path).then((bytes) => {
      if (bytes.length !== size) throw new Error(`${path} changed size while being uploaded`);
      return bytes;
    }));
  return {
    size,
    async part(start, end) {
      const bytes = (await read()).subarray(start, end);
      return {
        md5: createHash('md5').update(bytes).digest('base64'),
        put: (url, headers, signal) => put(url, headers, bytes, signal),
        release: () => (content = null),
      };
    },
    sha256: async () => createHash('sha256').update(await read()).digest('hex'),
  };
}
