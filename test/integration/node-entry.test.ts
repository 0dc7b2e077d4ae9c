/**
 * The real entry point as `npm start` runs it: embedded defaults (SQLite + in-process S3),
 * the printed admin token, structured logs, a restart that keeps everything, and HTTPS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/runtime/node.ts';
import { Api, downloadBytes, uploadBytes } from '../support/api.ts';

interface Started {
  child: ChildProcess;
  url: string;
  /** The admin token the banner shows: only a freshly generated one. */
  token: string | null;
  banner: string;
  stdout: string[];
}

let root: string;
/** Made by the server itself, as on a first start. */
let dataDir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dfs-entry-'));
  dataDir = join(root, 'data');
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** `npm start`'s entry by default; `dfs serve` is the other way in. */
function start(env: Record<string, string>, entry = ['src/runtime/node.ts']): Promise<Started> {
  const child = spawn(process.execPath, entry, {
    env: { ...process.env, DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: '0', DFS_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(...chunk.toString().split('\n').filter(Boolean)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s: ${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /serving (\S+)/.exec(stderr)?.[1];
      if (url && stderr.includes('try:')) {
        clearTimeout(timer);
        resolve({ child, url, token: /admin token: (dfs_\S+)/.exec(stderr)?.[1] ?? null, banner: stderr, stdout });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
}

/** A port free now, for a server that must keep one port across starts or be named by it. */
async function freePort(): Promise<number> {
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  return port;
}

/** A start expected to fail: its exit code and what it printed. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['src/runtime/node.ts'], {
    env: { ...process.env, DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: '0', DFS_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

const openssl = (...args: string[]) => expect(spawnSync('openssl', args).status).toBe(0);

const stop = (started: Started) =>
  new Promise<void>((resolve) => {
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });

describe('npm start with no configuration', () => {
  it('serves the API over an embedded S3 server and SQLite, keeping everything across a restart', async () => {
    // One store port for both starts, as a real deployment has: links name it.
    const storePort = String(await freePort());
    const first = await start({ DFS_EMBEDDED_S3_PORT: storePort });
    let version: string;
    let link: string;
    try {
      expect(first.token).toMatch(/^dfs_/);
      const tokenFile = await stat(join(dataDir, 'admin-token'));
      expect(tokenFile.mode & 0o777).toBe(0o600);
      // The folder it made holds the index and every object: no one else may look in.
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
      expect(await stat(join(dataDir, 'index.db'))).toBeTruthy();

      const api = new Api(first.url, first.token);
      const bytes = new TextEncoder().encode('survives a restart');
      const done = await uploadBytes(api, 'kept/across.txt', bytes);
      expect(done.status).toBe(200);
      version = done.body.version;
      link = (await api.post('/v1/downloads', { path: 'kept/across.txt' })).body.url;
      // The embedded store's own key, kept for the next start like the admin token.
      expect((await stat(join(dataDir, 'embedded-s3-credentials.json'))).mode & 0o777).toBe(0o600);

      // A share id is the whole link: neither opening it nor failing to end it logs it.
      const share = (await api.post('/v1/shares', { path: 'kept/across.txt' })).body;
      const shareId = share.url.split('/').at(-1);
      expect((await fetch(share.url, { redirect: 'manual' })).status).toBe(302);
      // Followed by an encoded newline, which the decoded path holds.
      expect((await fetch(`${share.url}%0A`, { redirect: 'manual' })).status).toBe(404);
      expect((await fetch(`${first.url}/v1/shares/${shareId}`, { method: 'DELETE', headers: { authorization: 'Bearer dfs_wrong' } })).status).toBe(401);
      // A valid token the link is out of reach of gets as far as the route, whose error is logged.
      const elsewhere = (await api.post('/v1/tokens', { name: 'elsewhere', scopes: ['read', 'write'], prefix: 'other/' })).body.token;
      const outOfReach = await fetch(`${first.url}/v1/shares/${shareId}`, { method: 'DELETE', headers: { authorization: `Bearer ${elsewhere}` } });
      expect(outOfReach.status).toBe(404);
      await expect.poll(() => first.stdout.filter((line) => line.includes('[share]')).length).toBe(4);
      expect(first.stdout.find((line) => line.includes('"status":404') && line.includes('/v1/shares/[share]'))).toContain('"error":"no such share link');
      expect(first.stdout.join('\n')).not.toContain(shareId);

      // A request Node's parser refuses (a URL over 16 KiB) is logged too, with the id it was answered with.
      const refused = await fetch(`${first.url}/v1/files/${'e'.repeat(20_000)}`, { headers: { authorization: `Bearer ${first.token}` } });
      expect(refused.status).toBe(431);
      const refusedId = refused.headers.get('x-request-id')!;
      await expect.poll(() => first.stdout.some((line) => line.includes(refusedId))).toBe(true);
      expect(JSON.parse(first.stdout.find((line) => line.includes(refusedId))!)).toMatchObject({ method: '-', path: '-', status: 431 });

      // One JSON line per request, without secrets or signatures; the line may follow the answer.
      await expect.poll(() => first.stdout.some((line) => line.includes('/complete"'))).toBe(true);
      const lines = first.stdout.map((line) => JSON.parse(line));
      expect(lines.some((l) => l.method === 'POST' && l.path === '/v1/uploads' && l.status === 201)).toBe(true);
      for (const l of lines) expect(Object.keys(l)).toEqual(expect.arrayContaining(['time', 'requestId', 'method', 'path', 'status', 'durationMs']));
      const raw = first.stdout.join('\n');
      expect(raw).not.toContain(first.token!);
      expect(raw).not.toMatch(/X-Amz-Signature/i);
    } finally {
      await stop(first);
    }

    const second = await start({ DFS_EMBEDDED_S3_PORT: storePort });
    try {
      // Shown once: a restart says where the token is, never what it is.
      expect(second.token).toBeNull();
      expect(second.banner).not.toContain(first.token!);
      expect(second.banner).toContain(`admin token: in ${join(dataDir, 'admin-token')}`);
      const kept = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
      expect(kept).toBe(first.token);
      const api = new Api(second.url, kept);
      expect((await api.get('/v1/files/kept/across.txt')).body.version).toBe(version);
      expect(new TextDecoder().decode(await downloadBytes(api, 'kept/across.txt'))).toBe('survives a restart');
      // A link handed out before the restart still works: the store kept its key.
      expect(await (await fetch(link!)).text()).toBe('survives a restart');
    } finally {
      await stop(second);
    }
  });

  it('bound to every address, names one a client can ask for, and the store by S3_PUBLIC_ENDPOINT when given', async () => {
    const token = 'wildcard-admin-token-0123456789';
    const env = { DFS_HOST: '0.0.0.0', DFS_DATA_DIR: join(root, 'wildcard'), DFS_ADMIN_TOKEN: token };
    const local = await start(env);
    try {
      // Browsers refuse 0.0.0.0: the banner, share links and the store's URLs name 127.0.0.1.
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const created = await new Api(local.url, token).post('/v1/uploads', { path: 'a.txt', size: 1 });
      expect(new URL(created.body.url).hostname).toBe('127.0.0.1');
      // A share link names the address its request came to: each client reaches the server at its own.
      const viaName = new Api(local.url.replace('127.0.0.1', 'localhost'), token);
      expect((await uploadBytes(viaName, 'shared.txt', new TextEncoder().encode('s'))).status).toBe(200);
      const share = await viaName.post('/v1/shares', { path: 'shared.txt' });
      expect(new URL(share.body.url).hostname).toBe('localhost');
    } finally {
      await stop(local);
    }
    const storePort = await freePort();
    const published = await start({ ...env, DFS_EMBEDDED_S3_PORT: String(storePort), S3_PUBLIC_ENDPOINT: `http://localhost:${storePort}` });
    try {
      expect(published.banner).toContain(`clients reach it at http://localhost:${storePort}`);
      const api = new Api(published.url, token);
      const created = await api.post('/v1/uploads', { path: 'b.txt', size: 1 });
      expect(new URL(created.body.url).host).toBe(`localhost:${storePort}`);
      // Signed for the public name, the URL is taken by the store it reaches.
      expect((await uploadBytes(api, 'public.txt', new TextEncoder().encode('by its public name'))).status).toBe(200);
      const link = (await api.post('/v1/downloads', { path: 'public.txt' })).body.url;
      expect(new URL(link).host).toBe(`localhost:${storePort}`);
      expect(await (await fetch(link)).text()).toBe('by its public name');
    } finally {
      await stop(published);
    }
  });

  it('never prints DFS_ADMIN_TOKEN, in the banner or in the logs', async () => {
    const secret = `configured-${crypto.randomUUID()}`;
    const started = await start({ DFS_ADMIN_TOKEN: secret, DFS_DATA_DIR: join(dataDir, 'configured') });
    try {
      expect(started.banner).toContain('admin token: from DFS_ADMIN_TOKEN');
      expect((await new Api(started.url, secret).get('/v1/files')).status).toBe(200);
      // The request's log line is what could leak it: wait until it is there.
      await expect.poll(() => started.stdout.some((line) => line.includes('"/v1/files"'))).toBe(true);
      expect(`${started.banner}\n${started.stdout.join('\n')}`).not.toContain(secret);
    } finally {
      await stop(started);
    }
  });

  it("names the embedded S3 server's port when it is taken, in one line", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const result = spawnSync(process.execPath, ['src/runtime/node.ts'], {
        env: { ...process.env, DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: String(port), DFS_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toBe(`dfs: the embedded S3 server's port 127.0.0.1:${port} is in use: set DFS_EMBEDDED_S3_PORT to another`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("names DFS_PORT when the API's port is taken, before an admin token is made", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const fresh = join(root, 'api-port-taken');
    try {
      const port = (taken.address() as AddressInfo).port;
      const result = await failedStart({ DFS_PORT: String(port), DFS_DATA_DIR: fresh });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`dfs: the API's port 127.0.0.1:${port} is in use: set DFS_PORT to another\n`);
      await expect(stat(join(fresh, 'admin-token'))).rejects.toThrow(/ENOENT/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    // The start that gets the port is the first to make the token, and shows it.
    const started = await start({ DFS_DATA_DIR: fresh });
    try {
      expect(started.token).toMatch(/^dfs_/);
    } finally {
      await stop(started);
    }
  });

  it('names DFS_HOST when it names no address of this machine, whichever server listens first', async () => {
    const bucket = { S3_BUCKET: 'dfs', S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' };
    for (const env of [{}, bucket]) {
      const unknown = await failedStart({ ...env, DFS_HOST: 'no.such.host.invalid', DFS_DATA_DIR: join(root, 'bad-host') });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^dfs: DFS_HOST: no\.such\.host\.invalid is not a name this machine can resolve \(getaddrinfo (ENOTFOUND|EAI_AGAIN)\)\n$/);
      // TEST-NET-1: an address, but never one of this machine's.
      const foreign = await failedStart({ ...env, DFS_HOST: '192.0.2.1', DFS_DATA_DIR: join(root, 'bad-host') });
      expect(foreign.stderr).toBe('dfs: DFS_HOST: 192.0.2.1 is not an address of this machine\n');
    }
    await expect(stat(join(root, 'bad-host', 'admin-token'))).rejects.toThrow(/ENOENT/);
  });

  it("names a damaged embedded-s3-credentials.json and what removing it costs; the files it stored stay readable under a new key", async () => {
    const fresh = join(root, 'damaged-key');
    const token = 'damaged-key-admin-token-0123456789';
    const first = await start({ DFS_DATA_DIR: fresh, DFS_ADMIN_TOKEN: token });
    try {
      expect((await uploadBytes(new Api(first.url, token), 'kept.txt', new TextEncoder().encode('stored under the old key'))).status).toBe(200);
    } finally {
      await stop(first);
    }
    const file = join(fresh, 'embedded-s3-credentials.json');
    await writeFile(file, '{"accessKeyId":"x",');
    const damaged = await failedStart({ DFS_DATA_DIR: fresh, DFS_ADMIN_TOKEN: token });
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toBe(
      `dfs: the embedded S3 server's key in ${file} is damaged (not JSON with accessKeyId and secretAccessKey): remove the file to have a new key made (the stored files stay; URLs handed out before stop working)\n`,
    );
    expect(await readFile(file, 'utf8')).toBe('{"accessKeyId":"x",');
    await rm(file);
    const renewed = await start({ DFS_DATA_DIR: fresh, DFS_ADMIN_TOKEN: token });
    try {
      expect(new TextDecoder().decode(await downloadBytes(new Api(renewed.url, token), 'kept.txt'))).toBe('stored under the old key');
    } finally {
      await stop(renewed);
    }
  });

  it('refuses a bad configuration with a message naming the variable', () => {
    const result = spawnSync(process.execPath, ['src/runtime/node.ts'], {
      env: { ...process.env, DFS_PORT: 'eighty', DFS_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/DFS_PORT/);
  });
});

/** A request whose body is sent in part: the rest when the test says, or never. */
async function partialRequest(url: string, method: string, headers: Record<string, string | number>, part: string): Promise<ClientRequest> {
  const request = httpRequest(url, { method, headers, agent: false });
  request.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => request.write(part, (error) => (error ? reject(error) : resolve())));
  return request;
}

const answerTo = (request: ClientRequest) => new Promise<IncomingMessage>((resolve) => request.once('response', resolve));
const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('a stop signal', () => {
  it('closes idle connections at once, lets a request under way finish, drops a trickled upload at DFS_STOP_GRACE and exits', async () => {
    const token = 'stop-grace-admin-token-0123456789';
    const started = await start({ DFS_DATA_DIR: join(root, 'stopping'), DFS_ADMIN_TOKEN: token, DFS_STOP_GRACE: '2' });
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
    let stderr = '';
    started.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const api = new Api(started.url, token);
    const created = (await api.post('/v1/uploads', { path: 'slow.bin', size: 1000 })).body;
    // An upload to the embedded store whose body stops halfway: without a deadline, the store would wait for the rest forever.
    const trickled = await partialRequest(created.url, 'PUT', created.headers, 'x'.repeat(500));
    const trickledSocket = await new Promise<Socket>((resolve) => (trickled.socket ? resolve(trickled.socket) : trickled.once('socket', resolve)));
    // A request to the API under way at the stop: its body's second half comes after it.
    const body = JSON.stringify({ path: 'during-stop.txt', size: 1 });
    const underWay = await partialRequest(`${started.url}/v1/uploads`, 'POST', { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length }, body.slice(0, 10));
    // A kept-alive connection left idle, and one that never sent a request.
    const keepAlive = new Agent({ keepAlive: true });
    const idle = await new Promise<Socket>((resolve) =>
      httpRequest(`${started.url}/healthz`, { agent: keepAlive }, (res) => {
        const socket = res.socket;
        res.resume().once('end', () => resolve(socket));
      }).end(),
    );
    const bare = connect(Number(new URL(started.url).port), '127.0.0.1');
    bare.on('error', () => undefined);
    await new Promise((resolve) => bare.once('connect', resolve));
    // The server has read the request under way's head by now (it answers others on other connections).
    expect((await fetch(`${started.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);

    started.child.kill('SIGTERM');
    const stoppedAt = performance.now();
    await Promise.all([closed(idle), closed(bare)]);
    expect(stderr).toContain('dfs: stopping: requests under way have 2 s to finish (a second SIGINT or SIGTERM stops at once)');
    await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
    underWay.end(body.slice(10));
    const answer = await answerTo(underWay);
    expect(answer.statusCode).toBe(201);
    expect(answer.headers.connection).toBe('close');
    await closed(trickledSocket);
    // Held for the grace (2 s), not dropped as the stop began.
    expect(performance.now() - stoppedAt).toBeGreaterThan(1500);
    expect(await exited).toBe(0);
    keepAlive.destroy();
  });

  it.each([
    ['npm start', ['src/runtime/node.ts']],
    ['dfs serve', ['bin/dfs.js', 'serve']],
  ])('%s stops at once on a second signal, with a request still under way', async (name, entry) => {
    const token = 'stop-twice-admin-token-0123456789';
    const started = await start({ DFS_DATA_DIR: join(root, `stopping-twice-${name.replace(' ', '-')}`), DFS_ADMIN_TOKEN: token, DFS_STOP_GRACE: '3600' }, entry);
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
    const created = (await new Api(started.url, token).post('/v1/uploads', { path: 'slow.bin', size: 1000 })).body;
    await partialRequest(created.url, 'PUT', created.headers, 'x'.repeat(500));
    // Under way at the API itself: the stop waits for the API's requests before the store's.
    await partialRequest(`${started.url}/v1/uploads`, 'POST', { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': 100 }, '{');
    expect((await fetch(`${started.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
    started.child.kill('SIGTERM');
    await new Promise((resolve) => started.child.stderr!.once('data', resolve));
    started.child.kill('SIGTERM');
    expect(await exited).toBe(1);
  });
});

describe('close()', () => {
  it('closes once however often it is asked', async () => {
    const env = { DFS_HOST: '127.0.0.1', DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: '0', DFS_DATA_DIR: join(root, 'closed-twice'), DFS_LOG: 'off' };
    const server = await startServer({ env });
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });
});

describe('one server per index', () => {
  const inUse = (dbPath: string, pid: number) => `the index ${dbPath} is in use by another dfs server, pid ${pid} (lock file ${dbPath}.lock): run one server per index file (DFS_DB_PATH)`;

  it('refuses a second server on the same index, naming the file and the pid holding it; once the first is closed, another starts', async () => {
    const env = { DFS_HOST: '127.0.0.1', DFS_PORT: '0', DFS_EMBEDDED_S3_PORT: '0', DFS_DATA_DIR: join(root, 'one-index'), DFS_LOG: 'off', DFS_CLEANUP_INTERVAL: '0' };
    const first = await startServer({ env });
    try {
      await expect(startServer({ env })).rejects.toThrow(inUse(join(root, 'one-index', 'index.db'), process.pid));
      // Still serving: the refused start closed nothing of the first's.
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      await first.close();
    }
    const next = await startServer({ env });
    await next.close();
    // An index in memory is the process's own: nothing to lock.
    const inMemory = { ...env, DFS_DB_PATH: ':memory:' };
    const memory = await startServer({ env: inMemory });
    try {
      await startServer({ env: inMemory }).then((again) => again.close());
    } finally {
      await memory.close();
    }
  });

  it("names another process's pid, and takes over the lock of a server killed with -9", async () => {
    const data = join(root, 'one-index-processes');
    const dbPath = join(data, 'index.db');
    const first = await start({ DFS_DATA_DIR: data });
    const refused = await failedStart({ DFS_DATA_DIR: data });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`dfs: ${inUse(dbPath, first.child.pid!)}\n`);
    await new Promise<void>((resolve) => {
      first.child.once('exit', () => resolve());
      first.child.kill('SIGKILL');
    });
    expect(await readFile(`${dbPath}.lock`, 'utf8')).toBe(String(first.child.pid));
    const next = await start({ DFS_DATA_DIR: data });
    expect(await readFile(`${dbPath}.lock`, 'utf8')).toBe(String(next.child.pid));
    await stop(next);
    await expect(stat(`${dbPath}.lock`)).rejects.toThrow(/ENOENT/);
  });
});

describe('HTTPS', () => {
  it('refuses TLS files it cannot use in one line naming the variable, before making anything in the data dir', async () => {
    const dir = join(root, 'tls-files');
    const fresh = join(dir, 'data');
    const [cert, key, otherKey, ecKey, garbage] = ['cert.pem', 'key.pem', 'other-key.pem', 'ec-key.pem', 'garbage.pem'].map((name) => join(dir, name)) as [string, string, string, string, string];
    await mkdir(dir);
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    openssl('genrsa', '-out', otherKey, '2048');
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ecKey);
    await writeFile(garbage, 'not a PEM file\n');
    const missing = join(dir, 'missing.pem');
    for (const [certFile, keyFile, message] of [
      [missing, key, `DFS_TLS_CERT: cannot read ${missing} (no such file)`],
      [cert, dir, `DFS_TLS_KEY: cannot read ${dir} (a directory)`],
      [garbage, key, `DFS_TLS_CERT: ${garbage} is not a PEM certificate: error:0480006C:PEM routines::no start line`],
      [cert, cert, `DFS_TLS_KEY: ${cert} is not a PEM private key (without a passphrase): error:1E08010C:DECODER routines::unsupported`],
      [cert, otherKey, `DFS_TLS_KEY: ${otherKey} is not the private key of the certificate in DFS_TLS_CERT (${cert})`],
      // A key of another type: Node's TLS context takes it, and every handshake would fail.
      [cert, ecKey, `DFS_TLS_KEY: ${ecKey} is not the private key of the certificate in DFS_TLS_CERT (${cert})`],
    ] as const) {
      const result = await failedStart({ DFS_TLS_CERT: certFile, DFS_TLS_KEY: keyFile, DFS_DATA_DIR: fresh });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`dfs: ${message}\n`);
      // No admin token was generated: the good start that follows is the first, and shows it.
      await expect(stat(fresh)).rejects.toThrow(/ENOENT/);
    }
    const server = await start({ DFS_TLS_CERT: cert, DFS_TLS_KEY: key, DFS_DATA_DIR: fresh });
    try {
      expect(server.token).toMatch(/^dfs_/);
    } finally {
      await stop(server);
    }
  });

  it('serves TLS itself when given a certificate and key', async () => {
    const cert = join(dataDir, 'cert.pem');
    const key = join(dataDir, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    expect(made.status).toBe(0);
    const server = await start({ DFS_TLS_CERT: cert, DFS_TLS_KEY: key, DFS_DATA_DIR: join(dataDir, 'tls') });
    try {
      expect(server.url).toMatch(/^https:\/\//);
      const ca = await readFile(cert);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${server.url}/healthz`, { ca }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve(data));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ ok: true });
    } finally {
      await stop(server);
    }
  });
});
