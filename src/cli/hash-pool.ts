/**
 * Hashing on worker threads: an 8 MiB MD5 takes ~10 ms and a 1 GiB SHA-256 ~0.6 s, which on the
 * main thread would stall every transfer in flight. Workers read the bytes from the file
 * themselves (the page cache holds them), so nothing is copied between threads.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PartRange } from '../client/upload.ts';
import type { Algorithm, HashJob, HashReply } from './hash-worker.ts';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type JobInput = WithoutId<HashJob>;

interface PooledWorker {
  worker: Worker;
  pending: number;
}

// One core stays free for the transfers themselves (and, on a small machine, the store).
const WORKERS = Math.max(1, Math.min(2, availableParallelism() - 1));
let workers: PooledWorker[] = [];
let nextId = 1;
let nextStream = 1;
const waiting = new Map<number, { resolve: (reply: HashReply) => void; reject: (error: Error) => void; pooled: PooledWorker }>();

function start(): PooledWorker[] {
  // The compiled CLI (dist/) runs the compiled worker; a checkout runs the source.
  const file = import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js';
  return Array.from({ length: WORKERS }, () => {
    const pooled: PooledWorker = { worker: new Worker(new URL(file, import.meta.url)), pending: 0 };
    pooled.worker.on('message', (reply: HashReply) => settle(reply));
    pooled.worker.on('error', (error) => {
      for (const [id, waiter] of waiting) if (waiter.pooled === pooled) settle({ id, error: { message: error.message } });
    });
    // After the listeners: adding one refs the worker again.
    pooled.worker.unref();
    return pooled;
  });
}

function settle(reply: HashReply): void {
  const waiter = waiting.get(reply.id);
  if (!waiter) return;
  waiting.delete(reply.id);
  // An idle worker must not keep the process alive.
  if (--waiter.pooled.pending === 0) waiter.pooled.worker.unref();
  if (reply.error !== undefined) {
    const { message, ...system } = reply.error;
    waiter.reject(Object.assign(new Error(message), system));
  }
  else waiter.resolve(reply);
}

function submit(job: JobInput, pooled?: PooledWorker): Promise<HashReply> {
  startHashWorkers();
  const chosen = pooled ?? workers.reduce((a, b) => (b.pending < a.pending ? b : a));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject, pooled: chosen });
    if (chosen.pending++ === 0) chosen.worker.ref();
    chosen.worker.postMessage({ ...job, id });
  });
}

/** Starts the workers ahead of their first job: a worker takes ~70 ms to boot, time better spent beside other work. */
export function startHashWorkers(): void {
  if (workers.length === 0) workers = start();
}

/** Digests of bytes [start, end) of a file: MD5 in base64 (as Content-MD5 wants), SHA-256 in hex. */
export async function hashRange(path: string, start: number, end: number, algorithms: Algorithm[]): Promise<Partial<Record<Algorithm, string>>> {
  return (await submit({ op: 'range', path, start, end, algorithms })).digests!;
}

/** Base64 MD5s of ranges of a file that are all of one length: side by side on SIMD lanes (up to MAX_LANES). */
export async function md5sOfRanges(path: string, ranges: PartRange[]): Promise<string[]> {
  return (await submit({ op: 'md5s', path, ranges })).md5s!;
}

/**
 * The SHA-256 of a whole file, in steps: hashing jobs for parts queued meanwhile on the same
 * worker run between the steps instead of waiting for the whole file.
 */
export async function sha256OfFile(path: string, size: number): Promise<string> {
  const hash = new GrowingFileHash(path);
  for (let upTo = STEP; upTo < size; upTo += STEP) await hash.advance(upTo);
  return hash.digest(size);
}

const STEP = 16 * 1024 * 1024;

/**
 * The SHA-256 of a file taken front to back while a transfer runs or a file is read: `advance`
 * says how far the file is final (a download says it as ranges land), so hashing overlaps the
 * transfer instead of following it.
 */
export class GrowingFileHash {
  readonly #path: string;
  readonly #stream = nextStream++;
  readonly #pooled: PooledWorker;
  #queued = 0;
  #work: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    startHashWorkers();
    this.#path = path;
    this.#pooled = workers[this.#stream % workers.length]!;
  }

  /** Bytes [0, upTo) are final; resolves once they are hashed. */
  advance(upTo: number): Promise<unknown> {
    if (upTo <= this.#queued) return this.#work;
    this.#queued = upTo;
    this.#work = submit({ op: 'advance', stream: this.#stream, path: this.#path, upTo }, this.#pooled);
    this.#work.catch(() => undefined);
    return this.#work;
  }

  async digest(size: number): Promise<string> {
    this.advance(size);
    await this.#work;
    return (await submit({ op: 'finish', stream: this.#stream }, this.#pooled)).digests!.sha256!;
  }
}
