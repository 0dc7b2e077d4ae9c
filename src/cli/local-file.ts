/**
 * Local files as the transfer engine's UploadIo: bytes stream from disk to the store, digests
 * come from worker threads, and tiny files are read once and hashed inline (a worker round
 * trip would cost more than the hash).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { UploadIo } from '../client/upload.ts';
import { hashRange } from './hash-pool.ts';
import { put } from './http-transport.ts';

const INLINE_MAX = 256 * 1024;

export function localFile(path: string, size: number): UploadIo {
  if (size <= INLINE_MAX) return tinyFile(path, size);
  // A single PUT asks for the MD5 of the whole file and its SHA-256: one pass gives both.
  let whole: ReturnType<typeof hashRange> | null = null;
  return {
    size,
    put: (url, headers, start, end, signal) => put(url, headers, { path, start, end }, signal),
    async md5(start, end) {
      if (start !== 0 || end !== size) return (await hashRange(path, start, end, ['md5'])).md5!;
      whole ??= hashRange(path, 0, size, ['md5', 'sha256']);
      return (await whole).md5!;
    },
    async sha256() {
      return (await (whole ?? hashRange(path, 0, size, ['sha256']))).sha256!;
    },
  };
}

function tinyFile(path: string, size: number): UploadIo {
  let bytes: Promise<Buffer> | null = null;
  const read = () => (bytes ??= readFile(path).then((content) => {
    if (content.length !== size) throw new Error(`${path} changed size while being uploaded`);
    return content;
  }));
  return {
    size,
    async put(url, headers, start, end, signal) {
      const etag = await put(url, headers, (await read()).subarray(start, end), signal);
      bytes = null;
      return etag;
    },
    md5: async (start, end) => createHash('md5').update((await read()).subarray(start, end)).digest('base64'),
    sha256: async () => createHash('sha256').update(await read()).digest('hex'),
  };
}
