/**
 * An UploadIo over a Blob (a browser File, or Node's fs.openAsBlob) and fetch. Each part's MD5
 * is signed as Content-MD5, so the store refuses bytes that changed on the way, and the file's
 * SHA-256 is recorded at complete, so downloads can check it. Both are taken from the Blob a
 * slice at a time, so memory stays bounded whatever the file's size. They come from hash-wasm
 * because WebCrypto has no MD5 and digests only a whole buffer at once.
 */
import { createMD5, createSHA256, type IHasher } from 'hash-wasm';
import { createLimiter } from './pool.ts';
import { TransferError } from './retry.ts';
import type { UploadIo, UploadPart } from './upload.ts';

/** Small enough that one hashing step keeps a page responsive (~10 ms), big enough to be cheap. */
const READ_SLICE = 4 * 1024 * 1024;

type Algorithm = 'md5' | 'sha256';

/**
 * Hashers not in use, for the next digest. Each is a WebAssembly instance with memory of its own
 * that the browser frees only when it collects garbage: made afresh for every file and part, a
 * page sending many files at once ran out of Wasm memory ("Cannot allocate Wasm memory").
 */
const idle: Record<Algorithm, IHasher[]> = { md5: [], sha256: [] };
/** Idle hashers kept per algorithm; any more in use at once are let go once done. */
const KEEP_IDLE = 8;

export function blobUpload(blob: Blob): UploadIo {
  // Parts are hashed one after another: hashed side by side on one thread, each would be ready
  // only when all of them are. The file's SHA-256 runs beside them on purpose, slowing each a
  // little: it reads the Blob a second time, but a page cannot keep parts in memory to feed it
  // in order, and complete would otherwise wait for a whole pass after the last part.
  const inTurn = createLimiter(1);
  const range = (start: number, end: number, md5: string): UploadPart => ({ md5, put: (url, headers, signal) => put(url, headers, blob.slice(start, end), signal), release() {} });
  return {
    size: blob.size,
    part: async (start, end) => range(start, end, (await inTurn(() => digestsOf(blob, start, end, ['md5']))).md5!),
    sha256: async () => (await digestsOf(blob, 0, blob.size, ['sha256'])).sha256!,
    async whole() {
      const { md5, sha256 } = await digestsOf(blob, 0, blob.size, ['md5', 'sha256']);
      return { part: range(0, blob.size, md5!), sha256 };
    },
  };
}

/** MD5 in base64 (as Content-MD5 wants) and SHA-256 in hex of bytes [start, end), in one read. */
async function digestsOf(blob: Blob, start: number, end: number, algorithms: Algorithm[]): Promise<Partial<Record<Algorithm, string>>> {
  const hashers = await Promise.all(algorithms.map(takeHasher));
  try {
    for (let at = start; at < end; at += READ_SLICE) {
      const bytes = new Uint8Array(await blob.slice(at, Math.min(at + READ_SLICE, end)).arrayBuffer());
      for (const hasher of hashers) hasher.update(bytes);
    }
    const digests: Partial<Record<Algorithm, string>> = {};
    algorithms.forEach((algorithm, i) => (digests[algorithm] = algorithm === 'md5' ? base64(hashers[i]!.digest('binary')) : hashers[i]!.digest('hex')));
    return digests;
  } finally {
    algorithms.forEach((algorithm, i) => giveBack(algorithm, hashers[i]!));
  }
}

async function takeHasher(algorithm: Algorithm): Promise<IHasher> {
  const hasher = idle[algorithm].pop() ?? (await (algorithm === 'md5' ? createMD5() : createSHA256()));
  return hasher.init();
}

function giveBack(algorithm: Algorithm, hasher: IHasher): void {
  if (idle[algorithm].length < KEEP_IDLE) idle[algorithm].push(hasher);
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
  if (!response.ok) throw TransferError.refused('upload', response.status, text, url);
  return response.headers.get('etag') ?? '';
}
