/**
 * Local files as the transfer engine's UploadIo. A part of a big file is read once into a
 * pooled shared buffer, hashed there by a worker and sent from it; a file sent in one PUT is
 * hashed by a worker in one pass (MD5 and SHA-256 together) and streamed from disk; a tiny
 * file is read once and hashed inline (a worker round trip would cost more than the hash).
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { UploadIo, UploadPart } from '../client/upload.ts';
import type { BufferPool } from './buffer-pool.ts';
import { hashRange, hashShared, sha256OfFile } from './hash-pool.ts';
import { put } from './http-transport.ts';

const INLINE_MAX = 64 * 1024;
const nothingToRelease = () => undefined;

/** `parts` holds the buffers for the parts of multipart uploads. */
export function localFile(path: string, size: number, parts?: BufferPool): UploadIo {
  if (size <= INLINE_MAX) return tinyFile(path, size);
  let whole: ReturnType<typeof hashRange> | null = null;
  return {
    size,
    async part(start, end) {
      const entire = start === 0 && end === size;
      if (parts && !entire) return pooledPart(path, start, end, parts);
      let md5: string | undefined;
      if (entire) md5 = (await (whole ??= hashRange(path, 0, size, ['md5', 'sha256']))).md5;
      else md5 = (await hashRange(path, start, end, ['md5'])).md5;
      return { md5, put: (url, headers, signal) => put(url, headers, { path, start, end }, signal), release: nothingToRelease };
    },
    async sha256() {
      return whole ? (await whole).sha256! : sha256OfFile(path, size);
    },
  };
}

async function pooledPart(path: string, start: number, end: number, pool: BufferPool): Promise<UploadPart> {
  const length = end - start;
  const buffer = await pool.acquire(length);
  try {
    const file = await open(path);
    try {
      for (let read = 0; read < length; ) {
        const { bytesRead } = await file.read(buffer, read, length - read, start + read);
        if (bytesRead === 0) throw new Error(`${path} is shorter than expected (changed while being uploaded?)`);
        read += bytesRead;
      }
    } finally {
      await file.close();
    }
    const { md5 } = await hashShared(buffer, length, ['md5']);
    const body = Buffer.from(buffer.buffer, 0, length);
    return { md5, put: (url, headers, signal) => put(url, headers, body, signal), release: () => pool.release(buffer) };
  } catch (error) {
    pool.release(buffer);
    throw error;
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
