/**
 * Runs in a worker thread: digests of local file ranges, read from the page cache, so hashing
 * never stalls the transfers the main thread drives. Jobs run one at a time per worker (they
 * share its read buffers); a stream hash follows a file front to back, as a download writes it
 * or as an upload's SHA-256 reads it; the MD5s of an upload's parts go several at once.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type { PartRange } from '../client/upload.ts';
import { Md5Lanes } from './md5-lanes.ts';

export type Algorithm = 'md5' | 'sha256';

export type HashJob =
  | { id: number; op: 'range'; path: string; start: number; end: number; algorithms: Algorithm[] }
  /** Hashes [previous upTo, upTo) of a file into the running SHA-256 of stream `stream`. */
  | { id: number; op: 'advance'; stream: number; path: string; upTo: number }
  /** MD5s (base64) of up to 8 ranges of one file, all of one length, hashed side by side. */
  | { id: number; op: 'md5s'; path: string; ranges: PartRange[] }
  | { id: number; op: 'finish'; stream: number };

export interface HashReply {
  id: number;
  digests?: Partial<Record<Algorithm, string>>;
  md5s?: string[];
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

const LANE_CHUNK = 256 * 1024;
const kernels = new Map<4 | 8, Md5Lanes>();

/** Each round's bytes are read (by libuv's threads) while the previous round's are hashed. */
async function md5s(path: string, ranges: PartRange[]): Promise<string[]> {
  const lanes = ranges.length > 4 ? 8 : 4;
  let kernel = kernels.get(lanes);
  if (!kernel) kernels.set(lanes, (kernel = new Md5Lanes(lanes, LANE_CHUNK)));
  kernel.reset();
  const length = ranges[0]!.end - ranges[0]!.start;
  const rounds = Math.ceil(length / LANE_CHUNK);
  const bytesOf = (round: number) => Math.min(LANE_CHUNK, length - round * LANE_CHUNK);
  const file = await open(path);
  const read = (round: number) =>
    Promise.all(ranges.map((range, lane) => readFully(file, kernel.input(lane, round % 2).subarray(0, bytesOf(round)), range.start + round * LANE_CHUNK, path)));
  let reading: Promise<unknown> = rounds > 0 ? read(0) : Promise.resolve();
  try {
    for (let round = 0; round < rounds; round++) {
      await reading;
      if (round + 1 < rounds) reading = read(round + 1);
      kernel.update(bytesOf(round), ranges.length, round % 2);
    }
  } finally {
    await reading.catch(() => undefined);
    await file.close();
  }
  return kernel.digests(ranges.length).map((digest) => digest.toString('base64'));
}

async function readFully(file: FileHandle, into: Buffer, position: number, path: string): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`${path} is shorter than expected (changed while being read?)`);
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

async function run(job: HashJob): Promise<HashReply> {
  if (job.op === 'md5s') return { id: job.id, md5s: await md5s(job.path, job.ranges) };
  if (job.op === 'range') {
    const hashes = job.algorithms.map((algorithm) => createHash(algorithm));
    await feed(job.path, job.start, job.end, hashes);
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
