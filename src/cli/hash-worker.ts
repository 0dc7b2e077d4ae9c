/**
 * Runs in a worker thread: digests of local file ranges, read from the page cache, so hashing
 * never stalls the transfers the main thread drives. Jobs run one at a time per worker (they
 * share one read buffer); a stream hash follows a file front to back, as a download writes it or
 * as an upload reads its parts.
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';

export type Algorithm = 'md5' | 'sha256';

export type HashJob =
  /** With `stream`, the same bytes also go on into that stream's SHA-256, which must stand at `start`. */
  | { id: number; op: 'range'; path: string; start: number; end: number; algorithms: Algorithm[]; stream?: number }
  /** Hashes [previous upTo, upTo) of a file into the running SHA-256 of stream `stream`. */
  | { id: number; op: 'advance'; stream: number; path: string; upTo: number }
  | { id: number; op: 'finish'; stream: number };

export interface HashReply {
  id: number;
  digests?: Partial<Record<Algorithm, string>>;
  error?: string;
}

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);
const streams = new Map<number, { hash: Hash; position: number }>();

async function feed(path: string, start: number, end: number, hashes: Hash[]): Promise<void> {
  const file = await open(path);
  try {
    for (let position = start; position < end; ) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK, end - position), position);
      if (bytesRead === 0) throw new Error(`${path} is shorter than expected (changed while being read?)`);
      const chunk = buffer.subarray(0, bytesRead);
      for (const hash of hashes) hash.update(chunk);
      position += bytesRead;
    }
  } finally {
    await file.close();
  }
}

function digestsOf(algorithms: Algorithm[], hashes: Hash[]): HashReply['digests'] {
  const digests: HashReply['digests'] = {};
  algorithms.forEach((algorithm, i) => (digests[algorithm] = hashes[i]!.digest(algorithm === 'md5' ? 'base64' : 'hex')));
  return digests;
}

function streamState(stream: number): { hash: Hash; position: number } {
  let state = streams.get(stream);
  if (!state) streams.set(stream, (state = { hash: createHash('sha256'), position: 0 }));
  return state;
}

async function run(job: HashJob): Promise<HashReply> {
  if (job.op === 'range') {
    const hashes = job.algorithms.map((algorithm) => createHash(algorithm));
    const state = job.stream === undefined ? null : streamState(job.stream);
    if (state && state.position !== job.start) throw new Error(`stream hash asked for ${job.start}, stands at ${state.position}`);
    await feed(job.path, job.start, job.end, state ? [...hashes, state.hash] : hashes);
    if (state) state.position = job.end;
    return { id: job.id, digests: digestsOf(job.algorithms, hashes) };
  }
  const state = streamState(job.stream);
  if (job.op === 'advance') {
    await feed(job.path, state.position, job.upTo, [state.hash]);
    state.position = Math.max(state.position, job.upTo);
    return { id: job.id };
  }
  streams.delete(job.stream);
  return { id: job.id, digests: { sha256: state.hash.digest('hex') } };
}

let queue = Promise.resolve();
parentPort!.on('message', (job: HashJob) => {
  queue = queue.then(async () => {
    const reply = await run(job).catch((error: unknown) => ({ id: job.id, error: (error as Error).message }));
    parentPort!.postMessage(reply);
  });
});
