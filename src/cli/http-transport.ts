/**
 * Presigned PUTs and GETs with keep-alive sockets: on the bare sockets of socket-http.ts where
 * it can (every GET, small PUTs), over node:http(s) otherwise (a PUT streamed from a file, an
 * answer the bare sockets do not speak). Bodies stream from and to local files (or small
 * in-memory buffers), so memory stays bounded whatever the file size, and no byte passes
 * through web streams. Failures become TransferErrors the engine retries.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { TransferError } from '../client/retry.ts';
import { request } from './node-http.ts';
import { networkFailure, READ_BUFFER_BYTES, sendOverSocket, Unsupported, type BodySink } from './socket-http.ts';

/** A store that neither reads nor sends for this long is treated as a failed try (a full or hung store otherwise stalls the transfer for ever). */
const IDLE_TIMEOUT_MS = 60_000;

/** Bytes [start, end) of a local file. */
export interface FileRange {
  path: string;
  start: number;
  end: number;
}

function open(method: 'PUT' | 'GET', url: string, headers: Record<string, string>, signal?: AbortSignal, idleTimeoutMs = IDLE_TIMEOUT_MS): ClientRequest {
  return request(url, { method, headers, signal }, idleTimeoutMs, () => TransferError.silent(idleTimeoutMs));
}

/** Writing downloaded bytes failed here (a full disk, a closed pipe): another try of the store cannot help. */
class LocalWriteError extends Error {
  constructor(cause: unknown) {
    super((cause as Error).message, { cause });
    this.name = 'LocalWriteError';
  }
}

/** Reading the file being sent failed (it shrank, or became unreadable): another try of the store cannot help. */
class LocalReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalReadError';
  }
}

const isLocal = (error: unknown) => error instanceof LocalWriteError || error instanceof LocalReadError;

const networkError = (error: unknown) =>
  error instanceof TransferError || isLocal(error) || (error as Error)?.name === 'AbortError' ? error : new TransferError(networkFailure(error as Error), 0);

function responseOf(request: ClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
}

async function refusal(response: IncomingMessage, what: 'upload' | 'download', url: string): Promise<TransferError> {
  let text = '';
  for await (const chunk of response) if (text.length < 4096) text += String(chunk);
  return TransferError.refused(what, response.statusCode ?? 0, text, url);
}

/**
 * PUTs a buffer or a file range with exactly the signed headers; resolves with the ETag. An
 * in-memory body (a small file) goes with its head in one write on a bare socket: most of a
 * small PUT's client cost is node:http's own.
 */
export async function put(url: string, headers: Record<string, string>, body: Buffer | FileRange, signal?: AbortSignal, idleTimeoutMs = IDLE_TIMEOUT_MS): Promise<string> {
  if (Buffer.isBuffer(body)) {
    try {
      return (await sendOverSocket({ url: new URL(url), method: 'PUT', headers, body, signal, idleTimeoutMs })).etag;
    } catch (error) {
      if (!(error instanceof Unsupported)) throw networkError(error);
    }
  }
  return putOverHttp(url, headers, body, signal, idleTimeoutMs);
}

async function putOverHttp(url: string, headers: Record<string, string>, body: Buffer | FileRange, signal: AbortSignal | undefined, idleTimeoutMs: number): Promise<string> {
  try {
    const request = open('PUT', url, headers, signal, idleTimeoutMs);
    const answered = responseOf(request);
    let sendFailure: unknown = null;
    let sent: Promise<void> = Promise.resolve();
    if (Buffer.isBuffer(body) || body.end === body.start) request.end(Buffer.isBuffer(body) ? body : undefined);
    else sent = sendFileRange(request, body).catch((error: unknown) => void (sendFailure = error));
    // A store that refuses early answers before the body is sent: its status says more than
    // EPIPE. The request's own failure (a refused connection, our idle timeout) says more than
    // the write it cut short; a local file that failed us says most of all.
    const response = await answered.catch(async (error: unknown) => {
      await sent;
      throw sendFailure instanceof LocalReadError ? sendFailure : error;
    });
    if (response.statusCode !== 200) {
      const refused = await refusal(response, 'upload', url);
      request.destroy();
      throw refused;
    }
    await sent;
    if (sendFailure) throw sendFailure;
    response.resume();
    return String(response.headers.etag ?? '');
  } catch (error) {
    throw networkError(error);
  }
}

function readRange(fd: number, buffer: Buffer, length: number, position: number): number {
  try {
    return readSync(fd, buffer, 0, length, position);
  } catch (error) {
    throw new LocalReadError(`could not be read: ${(error as Error).message}`);
  }
}

const SEND_CHUNK = 512 * 1024;
const sendBuffers: Buffer[] = [];

/**
 * Streams a file range into a request through two reused buffers (one being read while the
 * other is sent): a fresh buffer per chunk would churn the allocator and grow the resident
 * size with every part. A buffer is reused only once the socket has taken its bytes. Each
 * chunk is read synchronously: the hashing worker read the same bytes moments before, and
 * copying 512 KiB out of the page cache takes less CPU than the two thread-pool hops of an
 * asynchronous read (a 1 GiB put: 0.25 s less, ~7% faster).
 */
async function sendFileRange(request: ClientRequest, range: FileRange): Promise<void> {
  const buffers = [sendBuffers.pop() ?? Buffer.allocUnsafe(SEND_CHUNK), sendBuffers.pop() ?? Buffer.allocUnsafe(SEND_CHUNK)];
  const writing: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let failure: Error | null = null;
  const sent = (error?: Error | null) => {
    if (error) failure ??= error;
  };
  // A destroyed request may never call back for bytes it had queued.
  const closed = new Promise<void>((resolve) => request.once('close', () => resolve(sent(new Error('the request closed while sending')))));
  const fd = openSync(range.path, 'r');
  try {
    for (let position = range.start, turn = 0; position < range.end; turn ^= 1) {
      await Promise.race([writing[turn], closed]);
      if (failure) throw failure;
      const buffer = buffers[turn]!;
      const bytesRead = readRange(fd, buffer, Math.min(SEND_CHUNK, range.end - position), position);
      if (bytesRead === 0) throw new LocalReadError('shorter than expected (changed while being uploaded?)');
      writing[turn] = new Promise((resolve) => request.write(buffer.subarray(0, bytesRead), (error) => resolve(sent(error))));
      position += bytesRead;
    }
    await Promise.race([Promise.all(writing), closed]);
    if (failure) throw failure;
    request.end();
    sendBuffers.push(...buffers);
  } catch (error) {
    // The store waits for the rest of the length it was promised: it is told at once.
    if (error instanceof LocalReadError) request.destroy();
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** GETs the whole object, or bytes [start, end) when `range` is given; checks the status. */
async function get(url: string, range: { start: number; end: number } | null, signal?: AbortSignal): Promise<IncomingMessage> {
  const request = open('GET', url, range ? { range: `bytes=${range.start}-${range.end - 1}` } : {}, signal);
  const answered = responseOf(request);
  request.end();
  const response = await answered;
  if (response.statusCode !== (range ? 206 : 200)) {
    if (response.statusCode === 200 && range) {
      response.destroy();
      throw new TransferError('the store ignored the Range header', 0);
    }
    throw await refusal(response, 'download', url);
  }
  return response;
}

/**
 * A small object, whole, into memory: exactly `size` bytes, on the bare sockets like the big
 * ones. A body of another length fails the try (the bare sockets check the announced length,
 * `receive` the bytes that came), so `copy` stopping at the buffer's end loses nothing.
 */
export async function getBytes(url: string, size: number, signal?: AbortSignal): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  let filled = 0;
  const intoMemory: BodySink = {
    take(chunk, from, to) {
      filled += chunk.copy(bytes, filled, from, to);
    },
  };
  await getToSink(url, { start: 0, end: size }, false, intoMemory, signal);
  return bytes;
}

/** An open local file that downloaded bytes are written into at their offsets. */
export interface FileSink {
  fd: number;
  start: number;
  end: number;
}

/**
 * Bytes [start, end) of the object (all of it when `whole`), written into the sink's file at
 * the same offsets; `onBytes` sees each chunk as it arrives. Each chunk is written at once,
 * synchronously: a write into the page cache costs less than the stream machinery and the
 * thread-pool hop that would otherwise carry it, and nothing piles up in memory.
 */
export async function getInto(url: string, sink: FileSink, whole: boolean, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<void> {
  let position = sink.start;
  const intoFile: BodySink = {
    take(bytes, from, to) {
      try {
        for (let written = 0; written < to - from; ) written += writeSync(sink.fd, bytes, from + written, to - from - written, position + written);
      } catch (error) {
        throw new LocalWriteError(error);
      }
      position += to - from;
      onBytes(to - from);
    },
  };
  await getToSink(url, { start: sink.start, end: sink.end }, !whole, intoFile, signal);
}

/**
 * Bytes [start, end) of the object written in order into `out` (standard output), at the pace
 * `out` takes them. `onChunk` sees each chunk as it is handed to `out`, so a retry knows where
 * to continue: a pipe cannot be rewound.
 */
export async function getToStream(url: string, start: number, end: number, out: NodeJS.WritableStream, onChunk: (chunk: Buffer) => void, signal?: AbortSignal): Promise<void> {
  const intoStream = new StreamSink(out, onChunk);
  // A Range needs at least one byte: an empty object (or a first try) is asked for whole.
  await getToSink(url, { start, end }, start > 0, intoStream, signal);
  await intoStream.flushed();
}

/**
 * A GET whose body goes to `sink`: on the bare sockets, or over node:http for an answer they do
 * not speak (a chunked body). Either way the body must carry exactly bytes [start, end).
 */
async function getToSink(url: string, range: { start: number; end: number }, ranged: boolean, sink: BodySink, signal?: AbortSignal): Promise<void> {
  const length = range.end - range.start;
  try {
    await sendOverSocket({
      url: new URL(url),
      method: 'GET',
      headers: ranged ? { Range: `bytes=${range.start}-${range.end - 1}` } : {},
      expectedLength: length,
      sink,
      signal,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
    });
  } catch (error) {
    if (!(error instanceof Unsupported)) throw networkError(error);
    try {
      const response = await get(url, ranged ? range : null, signal);
      await receive(response, range.start, range.end, (chunk) => sink.take(chunk, 0, chunk.length));
    } catch (fallbackError) {
      throw networkError(fallbackError);
    }
  }
}

/**
 * Copies each chunk out of the socket's read buffer into one of a few reused buffers, each
 * free again once `out` has written it: node:http would hand over a fresh 64 KiB Buffer per
 * read, whose garbage grew the resident size of a big download to ~190 MiB.
 */
class StreamSink implements BodySink {
  readonly #out: NodeJS.WritableStream;
  readonly #onChunk: (chunk: Buffer) => void;
  readonly #free: Buffer[] = [];
  #writing = 0;
  #failure: Error | null = null;
  #whenFlushed: (() => void) | null = null;

  constructor(out: NodeJS.WritableStream, onChunk: (chunk: Buffer) => void) {
    this.#out = out;
    this.#onChunk = onChunk;
  }

  take(bytes: Buffer, from: number, to: number): Promise<void> | void {
    if (this.#failure) throw this.#failure;
    // The socket reads at most READ_BUFFER_BYTES at a time; node:http's chunks are smaller still.
    const pooled = this.#free.pop() ?? Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const chunk = pooled.subarray(0, bytes.copy(pooled, 0, from, to));
    this.#onChunk(chunk);
    this.#writing++;
    const more = this.#out.write(chunk, (error?: Error | null) => {
      if (error) this.#failure ??= new LocalWriteError(error);
      this.#free.push(pooled);
      if (--this.#writing === 0) this.#whenFlushed?.();
    });
    return more ? undefined : this.#drained();
  }

  /** A stream that fails never drains. */
  #drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const drained = () => {
        this.#out.off('error', failed);
        resolve();
      };
      const failed = (error: Error) => {
        this.#out.off('drain', drained);
        reject(new LocalWriteError(error));
      };
      this.#out.once('drain', drained);
      this.#out.once('error', failed);
    });
  }

  /** Resolves once `out` has written every chunk taken (or failed to). */
  async flushed(): Promise<void> {
    if (this.#writing > 0) await new Promise<void>((resolve) => (this.#whenFlushed = resolve));
    if (this.#failure) throw this.#failure;
  }
}

/**
 * Hands each chunk of a response body to `take`, in order; a promise from `take` holds the body
 * back until it settles. Resolves once the body ended having carried exactly [start, end).
 */
async function receive(response: IncomingMessage, start: number, end: number, take: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  let position = start;
  await new Promise<void>((resolve, reject) => {
    response.on('data', (chunk: Buffer) => {
      position += chunk.length;
      try {
        const held = take(chunk);
        if (held) {
          response.pause();
          held.then(() => response.resume(), (error: unknown) => response.destroy(error as Error));
        }
      } catch (error) {
        response.destroy(error as Error);
      }
    });
    response.once('end', resolve);
    response.once('error', reject);
    response.once('aborted', () => reject(new TransferError('the store closed the connection mid-download', 0)));
  });
  if (position !== end) throw new TransferError(`the store sent ${position - start} of ${end - start} bytes`, 0);
}
