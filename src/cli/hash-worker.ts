/**
 * Runs in a worker thread: digests of local file ranges, read from the page cache, so hashing
 * never stalls the transfers the main thread drives. Jobs run one at a time per worker (they
 * share its read buffers); a stream hash follows a file front to back, as a download writes it
 * or as an upload's SHA-256 reads it; the MD5s of an upload's parts go several at once.
 * Reads are synchronous: the worker has nothing else to do meanwhile, and each asynchronous
 * read costs two hops through libuv's thread pool, whose wake-ups cost more CPU than the copy
 * out of the page cache (a 1 GiB put made ~38,000 futex calls; now ~2,500).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { PartRange } from '../client/upload.ts';
import { MAX_LANES, Md5Lanes } from './md5-lanes.ts';

export type Algorithm = 'md5' | 'sha256';

export type HashJob =
  | { id: number; op: 'range'; path: string; start: number; end: number; algorithms: Algorithm[] }
  /** Hashes [previous upTo, upTo) of a file into the running SHA-256 of stream `stream`. */
  | { id: number; op: 'advance'; stream: number; path: string; upTo: number }
  /** MD5s (base64) of up to MAX_LANES ranges of one file, all of one length, hashed side by side. */
  | { id: number; op: 'md5s'; path: string; ranges: PartRange[] }
  | { id: number; op: 'finish'; stream: number };

export interface HashReply {
  id: number;
  digests?: Partial<Record<Algorithm, string>>;
  md5s?: string[];
  /** A failure, with what a system error carries (a file gone under the read) for the caller to say why. */
  error?: { message: string; errno?: number; code?: string; path?: string };
}

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);
const streams = new Map<number, { hash: Hash; position: number }>();

function feed(path: string, start: number, end: number, hashes: Hash[]): void {
  const fd = openSync(path, 'r');
  try {
    for (let position = start; position < end; ) {
      const chunk = buffer.subarray(0, Math.min(CHUNK, end - position));
      readFully(fd, chunk, position);
      for (const hash of hashes) hash.update(chunk);
      position += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}

const LANE_CHUNK = 256 * 1024;
const kernels = new Map<4 | 8, Md5Lanes>();

function md5s(path: string, ranges: PartRange[]): string[] {
  const lanes = ranges.length > 4 ? MAX_LANES : 4;
  let kernel = kernels.get(lanes);
  if (!kernel) kernels.set(lanes, (kernel = new Md5Lanes(lanes, LANE_CHUNK)));
  kernel.reset();
  const length = ranges[0]!.end - ranges[0]!.start;
  const rounds = Math.ceil(length / LANE_CHUNK);
  const bytesOf = (round: number) => Math.min(LANE_CHUNK, length - round * LANE_CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (let round = 0; round < rounds; round++) {
      ranges.forEach((range, lane) => readFully(fd, kernel.input(lane).subarray(0, bytesOf(round)), range.start + round * LANE_CHUNK));
      kernel.update(bytesOf(round), ranges.length);
    }
  } finally {
    closeSync(fd);
  }
  return kernel.digests(ranges.length).map((digest) => digest.toString('base64'));
}

function readFully(fd: number, into: Buffer, position: number): void {
  for (let done = 0; done < into.length; ) {
    const bytesRead = readSync(fd, into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('shorter than expected (changed while being read?)');
    done += bytesRead;
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

function run(job: HashJob): HashReply {
  if (job.op === 'md5s') return { id: job.id, md5s: md5s(job.path, job.ranges) };
  if (job.op === 'range') {
    const hashes = job.algorithms.map((algorithm) => createHash(algorithm));
    feed(job.path, job.start, job.end, hashes);
    return { id: job.id, digests: digestsOf(job.algorithms, hashes) };
  }
  const state = streamState(job.stream);
  if (job.op === 'advance') {
    feed(job.path, state.position, job.upTo, [state.hash]);
    state.position = Math.max(state.position, job.upTo);
    return { id: job.id };
  }
  streams.delete(job.stream);
  return { id: job.id, digests: { sha256: state.hash.digest('hex') } };
}

parentPort!.on('message', (job: HashJob) => {
  let reply: HashReply;
  try {
    reply = run(job);
  } catch (error) {
    const { message, errno, code, path } = error as NodeJS.ErrnoException;
    reply = { id: job.id, error: { message, errno, code, path } };
  }
  parentPort!.postMessage(reply);
});
