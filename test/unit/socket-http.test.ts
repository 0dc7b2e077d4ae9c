/**
 * The CLI's download hot path against a real local HTTP(S) server that misbehaves on request:
 * bytes land at their offsets, keep-alive sockets are reused, a socket the server dropped while
 * idle is replaced, and every way a response can go wrong becomes the right error (or, for a
 * chunked body, a fallback to node:http that still delivers the bytes).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransferError } from '../../src/client/retry.ts';
import { getInto, getToStream } from '../../src/cli/http-transport.ts';
import { sendOverSocket, Unsupported } from '../../src/cli/socket-http.ts';

const BODY = randomBytes(3 * 1024 * 1024 + 17);
let work: string;
let server: http.Server;
let secureServer: https.Server;
let base: string;
let secureBase: string;
let connections = 0;
/** Requests /drop-reused answered by dropping the socket they came on. */
let dropped = 0;
const served = new WeakMap<Socket, number>();

function parseRange(header: string | undefined): [number, number] | null {
  const match = /^bytes=(\d+)-(\d+)$/.exec(header ?? '');
  return match ? [Number(match[1]), Number(match[2]) + 1] : null;
}

function handle(request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url!, 'http://x').pathname;
  const count = (served.get(request.socket) ?? 0) + 1;
  served.set(request.socket, count);
  const range = parseRange(request.headers.range);
  const [start, end] = range ?? [0, BODY.length];
  const part = BODY.subarray(start, end);
  switch (path) {
    case '/data':
      response.writeHead(range ? 206 : 200, { 'content-length': part.length });
      return response.end(part);
    case '/chunked':
      response.writeHead(range ? 206 : 200);
      response.write(part.subarray(0, 1000));
      return response.end(part.subarray(1000));
    case '/expired':
      response.writeHead(403, { 'content-type': 'application/xml' });
      return response.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    case '/cut':
      response.writeHead(206, { 'content-length': part.length });
      response.write(part.subarray(0, 1000));
      return setTimeout(() => request.socket.destroy(), 20);
    case '/ignore-range':
      response.writeHead(200, { 'content-length': BODY.length });
      return response.end(BODY);
    case '/short':
      response.writeHead(206, { 'content-length': part.length - 1 });
      return response.end(part.subarray(1));
    case '/drop-reused':
      // The race a keep-alive client must survive: the server gives up on an idle socket just
      // as the next request goes out on it.
      if (count > 1) {
        dropped++;
        return request.socket.destroy();
      }
      response.writeHead(206, { 'content-length': part.length });
      return response.end(part);
    case '/stall':
      response.writeHead(206, { 'content-length': part.length });
      return response.write(part.subarray(0, 10));
    default:
      response.writeHead(404, { 'content-length': 0 });
      return response.end();
  }
}

async function listen(target: http.Server | https.Server): Promise<string> {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  return String((target.address() as AddressInfo).port);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dfs-socket-get-'));
  server = http.createServer(handle);
  server.on('connection', () => connections++);
  base = `http://127.0.0.1:${await listen(server)}`;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1',
    '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(work, 'cert.pem'), 'utf8');
  secureServer = https.createServer({ key: readFileSync(join(work, 'key.pem')), cert }, handle);
  secureBase = `https://localhost:${await listen(secureServer)}`;
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), cert]);
});
afterAll(async () => {
  server.closeAllConnections();
  secureServer.closeAllConnections();
  await Promise.all([new Promise((resolve) => server.close(resolve)), new Promise((resolve) => secureServer.close(resolve))]);
  await rm(work, { recursive: true, force: true });
});

let fileCount = 0;
let file: string;
beforeEach(() => {
  file = join(work, `out-${fileCount++}`);
});

/** Downloads [start, end) of `path` into a fresh file at the same offsets; returns the error, if any. */
async function download(url: string, start: number, end: number, whole = false, signal?: AbortSignal) {
  const fd = openSync(file, 'w');
  let reported = 0;
  try {
    await getInto(url, { fd, start, end }, whole, (bytes) => (reported += bytes), signal);
    return { error: null, reported };
  } catch (error) {
    return { error: error as Error, reported };
  } finally {
    closeSync(fd);
  }
}

describe('socket GET into a file', () => {
  it('writes ranges at their offsets and whole objects, over http and https', async () => {
    for (const origin of [base, secureBase]) {
      const ranges: [number, number][] = [[1024 * 1024, BODY.length], [0, 1024 * 1024]];
      const fd = openSync(file, 'w');
      for (const [start, end] of ranges) await getInto(`${origin}/data`, { fd, start, end }, false, () => {});
      closeSync(fd);
      expect((await readFile(file)).equals(BODY)).toBe(true);
      file += '-whole';
      const whole = await download(`${origin}/data`, 0, BODY.length, true);
      expect(whole).toEqual({ error: null, reported: BODY.length });
      expect((await readFile(file)).equals(BODY)).toBe(true);
    }
  });

  it('reuses one keep-alive socket for requests in turn', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await download(`${base}/data?n=${i}`, 0, 4096)).error).toBeNull();
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('repeats a request at once on a new socket when the server dropped the idle one', async () => {
    await download(`${base}/data`, 0, 10);
    const droppedBefore = dropped;
    const result = await download(`${base}/drop-reused`, 5, 5000);
    // The request did go out on the reused socket and was dropped: the retry is what answered.
    expect(dropped - droppedBefore).toBe(1);
    expect(result.error).toBeNull();
    expect((await readFile(file)).subarray(5).equals(BODY.subarray(5, 5000))).toBe(true);
  });

  it('reads a response head that arrives in pieces', async () => {
    const raw = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 206 Partial Content\r\nContent-Le');
        setTimeout(() => socket.write('ngth: 5\r\n\r'), 20);
        setTimeout(() => socket.end('\nhello'), 40);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const result = await download(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/x`, 3, 8);
    raw.close();
    expect(result).toEqual({ error: null, reported: 5 });
    expect((await readFile(file)).subarray(3).toString()).toBe('hello');
  });

  it('falls back to node:http for a chunked body and still delivers every byte', async () => {
    const sink = { take: () => undefined };
    await expect(sendOverSocket({ url: new URL(`${base}/chunked`), method: 'GET', headers: {}, sink, idleTimeoutMs: 5000 })).rejects.toBeInstanceOf(Unsupported);
    expect(await download(`${base}/chunked`, 100, 200_000)).toEqual({ error: null, reported: 199_900 });
    expect((await readFile(file)).subarray(100).equals(BODY.subarray(100, 200_000))).toBe(true);
  });

  it('turns each broken response into a TransferError that says what happened', async () => {
    const expired = (await download(`${base}/expired`, 0, 10)).error as TransferError;
    expect(expired).toBeInstanceOf(TransferError);
    expect(expired.status).toBe(403);
    expect(expired.needsNewUrl).toBe(true);
    expect(expired.message).toMatch(/refused the download: HTTP 403/);

    const cut = (await download(`${base}/cut`, 0, 100_000)).error as TransferError;
    expect(cut).toBeInstanceOf(TransferError);
    expect(cut.transient).toBe(true);
    expect(cut.message).toMatch(/closed the connection mid-download/);

    expect((await download(`${base}/ignore-range`, 0, 100)).error?.message).toMatch(/ignored the Range header/);
    const short = (await download(`${base}/short`, 0, 100)).error as TransferError;
    expect(short.message).toMatch(/announced 99 of 100 bytes/);
    expect(short.transient).toBe(false);
    expect(((await download(`${base}/missing`, 0, 100)).error as TransferError).status).toBe(404);
  });

  it('gives up on a store that stops sending, and stops when aborted', async () => {
    const sink = { take: () => undefined };
    const stalled = sendOverSocket({ url: new URL(`${base}/stall`), method: 'GET', headers: { Range: 'bytes=0-999' }, sink, idleTimeoutMs: 200 });
    await expect(stalled).rejects.toThrow(/did not answer for 0.2 s/);

    const controller = new AbortController();
    const aborted = download(`${base}/stall`, 0, 1000, false, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect((await aborted).error?.name).toBe('AbortError');
  });
});

/** A stream that takes a chunk every few milliseconds, or fails on its second write. */
function slowStream(failing = false) {
  const chunks: Buffer[] = [];
  let writes = 0;
  const out = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, done) {
      if (failing && ++writes === 2) return done(new Error('the reader went away'));
      chunks.push(Buffer.from(chunk));
      setTimeout(done, 2);
    },
  });
  // As the CLI does for standard output: a stream's failure is an event someone listens to.
  out.on('error', () => undefined);
  return { out, received: () => Buffer.concat(chunks) };
}

describe('socket GET into a stream', () => {
  it('delivers the body in order at the pace of a slow reader, from the start or from an offset', async () => {
    for (const start of [0, 1_000_001]) {
      const { out, received } = slowStream();
      const seen: Buffer[] = [];
      await getToStream(`${base}/data`, start, BODY.length, out, (chunk) => seen.push(Buffer.from(chunk)));
      expect(received().equals(BODY.subarray(start))).toBe(true);
      // What the caller hashes is what the stream was given.
      expect(Buffer.concat(seen).equals(BODY.subarray(start))).toBe(true);
    }
  });

  it('fails when the stream does, and falls back to node:http for a chunked body', async () => {
    await expect(getToStream(`${base}/data`, 0, BODY.length, slowStream(true).out, () => undefined)).rejects.toThrow(/the reader went away/);
    const { out, received } = slowStream();
    await getToStream(`${base}/chunked`, 100, 200_000, out, () => undefined);
    expect(received().equals(BODY.subarray(100, 200_000))).toBe(true);
  });
});
