/**
 * The transfer hot paths over bare keep-alive sockets: a GET whose body goes from one reused
 * read buffer per socket to a sink (straight into a file at its offset, into standard output
 * at the reader's pace, or into memory for a small file), and a PUT of a small in-memory body
 * sent with its head in one write. A success has carried exactly its Content-Length, which
 * must be the expected length when one is given. node:http hands every 64 KiB read to
 * JavaScript as a new Buffer and runs requests through its parser, stream and event
 * machinery; on a 2-core machine that garbage and bookkeeping cost more CPU than the store
 * itself (docs/benchmarks.md).
 * Presigned requests need very little HTTP: a request line with the signed query, the signed
 * headers; a response with a status, Content-Length and a body. Anything else (a chunked
 * body, a status line that does not parse) is reported as `Unsupported` so the caller can
 * repeat the request over node:http.
 */
import net from 'node:net';
import tls from 'node:tls';
import { TransferError } from '../client/retry.ts';

/** What one read of a socket takes at most. */
export const READ_BUFFER_BYTES = 1024 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_ERROR_BODY = 4096;

/** The response is valid HTTP this reader does not speak; repeat the request with a full client. */
export class Unsupported extends Error {}

/** The socket closed before any answer came. */
class ClosedUnanswered extends TransferError {}

/** Whether a socket error is a failure to open the connection at all (refused, no route, no such host). */
const neverConnected = (error: Error) => ['connect', 'getaddrinfo'].includes((error as NodeJS.ErrnoException).syscall ?? '');

/** How a socket error reads in a transfer's failure: one that never connected says so. */
export const networkFailure = (error: Error) => `${neverConnected(error) ? 'cannot reach the store' : 'network error'}: ${error.message}`;

export interface SocketRequest {
  url: URL;
  method: 'GET' | 'PUT';
  /** Besides Host; for a ranged GET, its Range. */
  headers: Record<string, string>;
  /** A PUT's whole body. */
  body?: Buffer;
  /** A success must announce exactly this many body bytes. */
  expectedLength?: number;
  /** Where a success's body goes; without it, it is dropped. */
  sink?: BodySink;
  signal?: AbortSignal;
  idleTimeoutMs: number;
}

/**
 * Takes a success's body in order, as it arrives, from the socket's reused read buffer: bytes
 * [from, to) of `bytes` are valid only during the call. A promise holds the socket's reads back
 * until it settles (a consumer slower than the store).
 */
export interface BodySink {
  take(bytes: Buffer, from: number, to: number): void | Promise<void>;
}

export interface SocketResponse {
  etag: string;
}

interface Exchange {
  onData(bytes: Buffer, length: number): void;
  onClose(error: Error | null): void;
  onIdle(): void;
}

interface PooledSocket {
  socket: net.Socket;
  exchange: Exchange | null;
  /** Bytes of the current response arrived. */
  used: boolean;
}

const idle = new Map<string, PooledSocket[]>();

function connect(url: URL): PooledSocket {
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const pooled: PooledSocket = { socket: null as unknown as net.Socket, exchange: null, used: false };
  const onread = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (length: number, buffer: Uint8Array) => {
      pooled.exchange?.onData(buffer as Buffer, length);
      return true;
    },
  };
  pooled.socket = secure
    ? // tls reads into a static buffer too (nodejs/node#35753); its typings do not say so.
      tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, onread } as tls.ConnectionOptions)
    : net.connect({ host, port, onread, noDelay: true });
  const closed = (error: Error | null) => {
    forget(url, pooled);
    const exchange = pooled.exchange;
    pooled.exchange = null;
    exchange?.onClose(error);
  };
  pooled.socket.on('error', (error) => closed(error));
  pooled.socket.on('close', () => closed(null));
  pooled.socket.on('end', () => pooled.socket.destroy());
  pooled.socket.on('timeout', () => pooled.exchange?.onIdle());
  return pooled;
}

const poolKey = (url: URL) => `${url.protocol}//${url.host}`;

function forget(url: URL, pooled: PooledSocket) {
  const list = idle.get(poolKey(url));
  const at = list?.indexOf(pooled) ?? -1;
  if (at >= 0) list!.splice(at, 1);
}

function release(url: URL, pooled: PooledSocket) {
  pooled.exchange = null;
  pooled.socket.setTimeout(0);
  pooled.socket.unref();
  const list = idle.get(poolKey(url)) ?? [];
  list.push(pooled);
  idle.set(poolKey(url), list);
}

function acquire(url: URL): { pooled: PooledSocket; reused: boolean } {
  const pooled = idle.get(poolKey(url))?.pop();
  if (pooled && !pooled.socket.destroyed) {
    pooled.socket.ref();
    return { pooled, reused: true };
  }
  return { pooled: connect(url), reused: false };
}

interface Head {
  status: number;
  contentLength: number | null;
  chunked: boolean;
  keepAlive: boolean;
  etag: string;
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) throw new Unsupported(`unexpected status line ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
  const head: Head = { status: Number(status[1]), contentLength: null, chunked: false, keepAlive: lines[0]!.startsWith('HTTP/1.1'), etag: '' };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value) || (head.contentLength !== null && head.contentLength !== Number(value))) throw new Unsupported('unusable Content-Length');
      head.contentLength = Number(value);
    } else if (name === 'transfer-encoding') head.chunked = true;
    else if (name === 'connection') head.keepAlive = !/close/i.test(value);
    else if (name === 'etag') head.etag = value;
  }
  return head;
}

/** Resolves once the whole response is in (a success's body in its sink); rejects with a TransferError otherwise. */
export async function sendOverSocket(request: SocketRequest): Promise<SocketResponse> {
  const head = requestHead(request);
  for (;;) {
    const { pooled, reused } = acquire(request.url);
    try {
      return await exchange(pooled, request, head);
    } catch (error) {
      // A keep-alive socket the server closed while it sat idle ends before any answer: that
      // says nothing about the store, so the request goes again on a new socket at once.
      if (reused && error instanceof ClosedUnanswered && !request.signal?.aborted) continue;
      throw error;
    }
  }
}

function requestHead({ url, method, headers, body }: SocketRequest): Buffer {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) throw new Unsupported(`a header that cannot be sent as is: ${name}`);
    if (!/^(host|connection)$/i.test(name)) lines.push(`${name}: ${value}`);
  }
  if (body && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

function exchange(pooled: PooledSocket, request: SocketRequest, requestBytes: Buffer): Promise<SocketResponse> {
  const { url, sink, signal } = request;
  const ranged = Object.keys(request.headers).some((name) => name.toLowerCase() === 'range');
  const expected = ranged ? 206 : 200;
  const what = request.method === 'GET' ? 'download' : 'upload';
  pooled.used = false;
  return new Promise<SocketResponse>((resolve, reject) => {
    let head: Head | null = null;
    // The head so far, when it came in pieces; its bytes are copied, never the body's.
    let partialHead = '';
    let received = 0;
    let errorText = '';
    let settled = false;
    const finish = (error: Error | null, reuse = false) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        pooled.exchange = null;
        pooled.socket.destroy();
        reject(error);
        return;
      }
      if (reuse) release(url, pooled);
      else {
        pooled.exchange = null;
        pooled.socket.destroy();
      }
      resolve({ etag: head?.etag ?? '' });
    };
    const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : Object.assign(new Error('aborted'), { name: 'AbortError' }));
    const onBody = (bytes: Buffer, from: number, to: number) => {
      const length = Math.min(to - from, head!.contentLength! - received);
      if (head!.status !== expected) {
        if (errorText.length < MAX_ERROR_BODY) errorText += bytes.toString('utf8', from, from + length);
        received += length;
        if (received === head!.contentLength) finish(TransferError.refused(what, head!.status, errorText, url.href));
        return;
      }
      const held = sink?.take(bytes, from, from + length);
      if (held) {
        pooled.socket.pause();
        held.then(() => pooled.socket.resume(), (error: unknown) => finish(error as Error));
      }
      received += length;
      if (to - from > length) finish(new TransferError('the store sent more than the announced body', 0));
      // A socket held paused by its sink is not lent out again: nothing would resume it for the next request.
      else if (received === head!.contentLength) finish(null, head!.keepAlive && !held);
    };
    pooled.exchange = {
      onData(bytes, length) {
        pooled.used = true;
        try {
          if (head) return onBody(bytes, 0, length);
          const text = partialHead + bytes.toString('latin1', 0, Math.min(length, MAX_HEAD_BYTES));
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) {
            if (text.length >= MAX_HEAD_BYTES) throw new Unsupported('response head too large');
            partialHead = text;
            return;
          }
          const bodyStart = end + 4 - partialHead.length;
          head = parseHead(text.slice(0, end));
          if (head.status === 200 && ranged) throw new TransferError('the store ignored the Range header', 0);
          if (head.chunked || head.contentLength === null) throw new Unsupported('a body without Content-Length');
          // Objects never change under their keys: another length is the object itself, final.
          if (head.status === expected && request.expectedLength !== undefined && head.contentLength !== request.expectedLength)
            throw new TransferError(`the store announced ${head.contentLength} of ${request.expectedLength} bytes`, head.status);
          if (head.contentLength === 0) finish(head.status === expected ? null : TransferError.refused(what, head.status, '', url.href), head.keepAlive);
          else if (length > bodyStart) onBody(bytes, bodyStart, length);
        } catch (error) {
          finish(error as Error);
        }
      },
      onIdle() {
        finish(TransferError.silent(request.idleTimeoutMs));
      },
      onClose(error) {
        if (head && head.status !== expected) finish(TransferError.refused(what, head.status, errorText, url.href));
        else if (error && neverConnected(error)) finish(new TransferError(networkFailure(error), 0));
        else if (!pooled.used) finish(new ClosedUnanswered(`the store closed the connection before answering${error ? `: ${error.message}` : ''}`, 0));
        else finish(new TransferError(error ? networkFailure(error) : `the store closed the connection mid-${what}`, 0));
      },
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    pooled.socket.setTimeout(request.idleTimeoutMs);
    pooled.socket.write(requestBytes);
  });
}

