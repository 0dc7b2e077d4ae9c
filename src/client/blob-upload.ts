/**
 * An UploadIo over a Blob (a browser File, or Node's fs.openAsBlob) and fetch. Each part's MD5
 * is signed as Content-MD5, so the store refuses bytes that changed on the way, and the file's
 * SHA-256 is recorded at complete, so downloads can check it. Both are taken from the Blob a
 * slice at a time, so memory stays bounded whatever the file's size. They come from hash-wasm
 * because WebCrypto has no MD5 and digests only a whole buffer at once.
 */
import { createMD5, createSHA256, type IHasher } from 'hash-wasm';
import { TransferError } from './retry.ts';
import type { UploadIo } from './upload.ts';

/** Small enough that one hashing step keeps a page responsive (~10 ms), big enough to be cheap. */
const READ_SLICE = 4 * 1024 * 1024;

interface Digests {
  md5: string;
  sha256: string;
}

export function blobUpload(blob: Blob): UploadIo {
  let whole: Promise<Digests> | null = null;
  // Parts are hashed one after another: hashed side by side on one thread, each would be ready
  // only when all of them are, and the first PUT would wait for every part in flight.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = (start: number, end: number): Promise<string> => {
    const md5 = turn.then(() => md5Of(blob, start, end));
    turn = md5.catch(() => undefined);
    return md5;
  };
  return {
    size: blob.size,
    async part(start, end) {
      const md5 = start === 0 && end === blob.size ? (await (whole ??= digestsOf(blob))).md5 : await inTurn(start, end);
      return { md5, put: (url, headers, signal) => put(url, headers, blob.slice(start, end), signal), release() {} };
    },
    async sha256() {
      if (whole) return (await whole).sha256;
      const sha256 = await createSHA256();
      await feed(blob, 0, blob.size, [sha256]);
      return sha256.digest('hex');
    },
  };
}

async function md5Of(blob: Blob, start: number, end: number): Promise<string> {
  const md5 = await createMD5();
  await feed(blob, start, end, [md5]);
  return base64(md5.digest('binary'));
}

/** A file sent in one PUT is read once for both digests. */
async function digestsOf(blob: Blob): Promise<Digests> {
  const [md5, sha256] = await Promise.all([createMD5(), createSHA256()]);
  await feed(blob, 0, blob.size, [md5, sha256]);
  return { md5: base64(md5.digest('binary')), sha256: sha256.digest('hex') };
}

async function feed(blob: Blob, start: number, end: number, hashers: IHasher[]): Promise<void> {
  for (const hasher of hashers) hasher.init();
  for (let at = start; at < end; at += READ_SLICE) {
    const bytes = new Uint8Array(await blob.slice(at, Math.min(at + READ_SLICE, end)).arrayBuffer());
    for (const hasher of hashers) hasher.update(bytes);
  }
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

async function put(url: string, headers: Record<string, string>, body: Blob, signal?: AbortSignal): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'PUT', headers, body, signal });
  } catch (error) {
    throw signal?.aborted ? error : new TransferError(`network error: ${(error as Error).message}`, 0);
  }
  const text = await response.text();
  if (!response.ok) throw TransferError.refused('upload', response.status, text);
  return response.headers.get('etag') ?? '';
}
