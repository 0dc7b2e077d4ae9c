/**
 * The real `dfs` binary against a running server and S3 server: transfers of every shape,
 * kill-and-resume, the file commands in --json, exit codes and the menu driven through stdin.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, randomBytes, sameBytes, sha256Hex, uploadBytes } from '../support/api.ts';
import { DFS_BIN, startApiProxy, startCli, type CliHarness, type ProxyAnswer, type RunOptions } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
let cli: CliHarness;
let server: TestServer;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  cli = await startCli('cli');
  ({ server, work, env } = cli);
});
afterAll(() => cli?.close());

const start = (args: string[], options?: RunOptions) => cli.start(args, options);
const dfs = (args: string[], options?: RunOptions) => cli.dfs(args, options);

const local = (...parts: string[]) => join(work, ...parts);
/** What a --dry-run would do, by remote path. */
const actionsOf = (planned: { remote: string; action: string }[]) => Object.fromEntries(planned.map((f) => [f.remote, f.action]));

describe('put and get', () => {
  it('round-trips a single byte and an empty file, verifying SHA-256', async () => {
    await writeFile(local('one.bin'), Buffer.from([42]));
    await writeFile(local('empty.bin'), Buffer.alloc(0));
    const put = await dfs(['--json', 'put', 'one.bin', 'empty.bin', 'small/']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.json().map((f: { path: string }) => f.path)).toEqual(['small/one.bin', 'small/empty.bin']);
    expect(put.json().find((f: { path: string }) => f.path === 'small/one.bin').sha256).toBe(await sha256Hex(new Uint8Array([42])));

    await mkdir(local('back'));
    const get = await dfs(['get', 'small/one.bin', 'small/empty.bin', 'back']);
    expect(get.code, get.stderr).toBe(0);
    expect([...(await readFile(local('back/one.bin')))]).toEqual([42]);
    expect((await stat(local('back/empty.bin'))).size).toBe(0);
  });

  it('puts one file into a folder named without its "/", as cp does', async () => {
    await writeFile(local('into.txt'), 'into');
    expect((await dfs(['put', 'into.txt', 'infolder/first.txt'])).code).toBe(0);
    const put = await dfs(['--json', 'put', 'into.txt', 'infolder']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.json()[0].path).toBe('infolder/into.txt');
    const named = await dfs(['--json', 'put', 'into.txt', 'infolder/renamed.txt']);
    expect(named.json()[0].path).toBe('infolder/renamed.txt');
  });

  it('does not send again what is already stored, unless forced', async () => {
    for (const [name, content] of [['a.txt', 'alpha'], ['b.txt', 'beta'], ['deep/c.txt', 'gamma']]) {
      await mkdir(local('same', 'deep'), { recursive: true });
      await writeFile(local('same', name!), content!);
    }
    const first = await dfs(['--json', 'put', '-r', 'same', 'once/']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json().filter((f: { unchanged?: true }) => f.unchanged)).toEqual([]);

    await writeFile(local('same', 'b.txt'), 'beta, edited');
    await writeFile(local('same', 'new.txt'), 'new');
    const again = await dfs(['--json', 'put', '-r', 'same', 'once/']);
    expect(again.code, again.stderr).toBe(0);
    const outcome = Object.fromEntries(again.json().map((f: { path: string; unchanged?: true }) => [f.path, f.unchanged === true]));
    expect(outcome).toEqual({ 'once/same/a.txt': true, 'once/same/deep/c.txt': true, 'once/same/b.txt': false, 'once/same/new.txt': false });
    const versionCount = async (path: string) => (await dfs(['--json', 'versions', path])).json().length;
    expect(await versionCount('once/same/a.txt')).toBe(1);
    expect(await versionCount('once/same/b.txt')).toBe(2);
    expect((await dfs(['put', '-r', 'same', 'once/'])).stdout).toContain('unchanged once/same/a.txt');

    // A dry run says the same and sends nothing.
    await writeFile(local('same', 'b.txt'), 'beta, edited again');
    const dry = await dfs(['--json', 'put', '-r', '--dry-run', 'same', 'once/']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(actionsOf(dry.json())).toEqual({
      'once/same/a.txt': 'unchanged',
      'once/same/b.txt': 'upload',
      'once/same/deep/c.txt': 'unchanged',
      'once/same/new.txt': 'unchanged',
    });
    expect((await dfs(['put', '-r', '-n', 'same', 'once/'])).stdout).toContain(`would upload ${join('same', 'b.txt')} -> once/same/b.txt`);
    expect(await versionCount('once/same/b.txt')).toBe(2);
    // A name the server refuses is said by the dry run as the put says it, not promised.
    await writeFile(local('tab\tname.txt'), 'tab');
    const refusedDry = await dfs(['put', '-n', 'tab\tname.txt', 'same/b.txt', 'dry-names/']);
    const refusedPut = await dfs(['put', 'tab\tname.txt', 'dry-names/']);
    expect(refusedDry.code).toBe(1);
    expect(refusedDry.stdout.trim()).toBe(`would upload ${join('same', 'b.txt')} -> dry-names/b.txt`);
    expect(refusedPut.code).toBe(1);
    expect(refusedDry.stderr).toBe(refusedPut.stderr);
    expect(refusedDry.stderr).toMatch(/^dfs: \$'tab\\x09name\.txt': .*control character/);

    const forced = await dfs(['--json', 'put', '-r', '--force', 'same', 'once/']);
    expect(forced.json().filter((f: { unchanged?: true }) => f.unchanged)).toEqual([]);
    expect(await versionCount('once/same/a.txt')).toBe(2);

    // A token that may write but not list cannot compare: it sends, and names files as given.
    const writer = (await dfs(['--json', 'token', 'create', 'writer', '--scope', 'write'])).json();
    const asWriter = { ...env, DFS_TOKEN: writer.token };
    const blind = await dfs(['--json', 'put', '-r', 'same', 'once/'], { env: asWriter });
    expect(blind.code, blind.stderr).toBe(0);
    expect(blind.json().filter((f: { unchanged?: true }) => f.unchanged)).toEqual([]);
    const named = await dfs(['put', 'same/a.txt', 'once/same'], { env: asWriter });
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/"once\/same" is a folder/);
  });

  it('looks for one file put into a folder of more than a page of files with one page', async () => {
    await mkdir(local('crowd'));
    for (let i = 0; i < 1001; i++) await writeFile(local('crowd', `f${String(i).padStart(4, '0')}.txt`), 'x');
    expect((await dfs(['put', '-r', 'crowd', '/'])).code).toBe(0);
    await writeFile(local('newcomer.txt'), 'new');
    const listings: string[] = [];
    const spy = await startApiProxy(server.url, (path) => void (path.startsWith('/v1/files?') && listings.push(path)));
    try {
      const put = await dfs(['put', 'newcomer.txt', 'crowd/'], { env: { ...env, DFS_ENDPOINT: spy.url } });
      expect(put.stdout.trim(), put.stderr).toBe('uploaded crowd/newcomer.txt');
      const again = await dfs(['put', 'newcomer.txt', 'crowd/'], { env: { ...env, DFS_ENDPOINT: spy.url } });
      expect(again.stdout.trim(), again.stderr).toBe('unchanged crowd/newcomer.txt');
    } finally {
      await spy.close();
    }
    // Each put: one listing, of the names in crowd/ starting as newcomer.txt does.
    expect(listings.filter((path) => path.includes('cursor='))).toEqual([]);
    expect(listings).toHaveLength(2);
  });

  it('round-trips a 64 MiB file in parts', async () => {
    const bytes = randomBytes(64 * MiB, 3);
    await writeFile(local('big.bin'), bytes);
    const put = await dfs(['--json', 'put', 'big.bin', 'big/big.bin', '--part-size', '8']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.json()[0]).toMatchObject({ path: 'big/big.bin', size: 64 * MiB, sha256: await sha256Hex(bytes), parts: { sent: 8, resumed: 0, total: 8 } });
    const get = await dfs(['get', 'big/big.bin', 'big-copy.bin']);
    expect(get.code, get.stderr).toBe(0);
    expect(await sameBytes(new Uint8Array(await readFile(local('big-copy.bin'))), bytes)).toBe('same');
    expect(await readdir(work)).not.toContain('big-copy.bin.dfs-part');
  });

  it('puts a big file as a single part when --part-size holds all of it', async () => {
    const bytes = randomBytes(17 * MiB, 50);
    await writeFile(local('one-part.bin'), bytes);
    const put = await dfs(['--json', 'put', 'one-part.bin', 'one-part/file.bin', '--part-size', '17']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.json()[0]).toMatchObject({ size: bytes.length, sha256: await sha256Hex(bytes), parts: { sent: 1, resumed: 0, total: 1 } });
  });

  it('puts and gets five big files at once with --parts 1 (one shared slot), each whole and verified', async () => {
    const files = [0, 1, 2, 3, 4].map((i) => randomBytes(17 * MiB + i * 1000, 40 + i));
    await mkdir(local('bigs'));
    for (const [i, bytes] of files.entries()) await writeFile(local('bigs', `b${i}.bin`), bytes);
    // One slot for the parts of five files moving together: nothing may stall waiting for another
    // file's part, and every part must go, hashed, whatever order the files take turns in.
    const put = await dfs(['--json', 'put', '-r', 'bigs', 'many-big/', '--parts', '1', '--part-size', '5']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.json().map((f: { path: string; parts: { sent: number } }) => [f.path, f.parts.sent])).toEqual(files.map((_, i) => [`many-big/bigs/b${i}.bin`, 4]));
    for (const [i, bytes] of files.entries()) expect(put.json()[i].sha256).toBe(await sha256Hex(bytes));

    const get = await dfs(['--json', 'get', '-r', 'many-big/bigs', 'bigs-back', '--parts', '1']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.json().map((f: { remote: string }) => f.remote)).toEqual(files.map((_, i) => `many-big/bigs/b${i}.bin`));
    for (const [i, bytes] of files.entries()) expect(await sameBytes(new Uint8Array(await readFile(local('bigs-back', 'bigs', `b${i}.bin`))), bytes), `b${i}`).toBe('same');
  });

  it('round-trips a directory tree with unicode names', async () => {
    const files: Record<string, string> = { 'tree/a.txt': 'a', 'tree/sous-dossier/été.txt': 'été', 'tree/日本/データ.csv': '1,2', 'tree/emoji 😀/x y.md': '# hi' };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(work, path, '..'), { recursive: true });
      await writeFile(local(path), content);
    }
    const put = await dfs(['--json', 'put', '-r', 'tree', 'up/']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.json()).toHaveLength(4);
    const ls = await dfs(['--json', 'ls', '-r', 'up']);
    expect(ls.json().files.map((f: { path: string }) => f.path).sort()).toEqual(Object.keys(files).map((p) => `up/${p}`).sort());

    const get = await dfs(['get', '-r', 'up/tree', 'restored']);
    expect(get.code, get.stderr).toBe(0);
    for (const [path, content] of Object.entries(files)) expect(await readFile(local('restored', path), 'utf8')).toBe(content);
  });

  it('sends neither of two local files bound for one remote path, one file named twice once, and finds NFD names unchanged', async () => {
    await mkdir(local('twins', 'd1'), { recursive: true });
    await mkdir(local('twins', 'd2'), { recursive: true });
    await writeFile(local('twins', 'd1', 'same.txt'), 'A');
    await writeFile(local('twins', 'd2', 'same.txt'), 'BB');
    await writeFile(local('twins', 'other.txt'), 'other');
    const put = await dfs(['put', 'twins/d1/same.txt', 'twins/d2/same.txt', 'twins/other.txt', 'twins-up/']);
    expect(put.code).toBe(1);
    expect(put.stderr).toContain('twins/d1/same.txt');
    expect(put.stderr).toContain('would go to twins-up/same.txt too');
    const api = new Api(server.url, server.adminToken);
    expect((await api.get('/v1/files/twins-up/same.txt')).status).toBe(404);
    expect(new TextDecoder().decode(await downloadBytes(api, 'twins-up/other.txt'))).toBe('other');

    // One file named twice (overlapping globs) is sent once, as cp copies it once.
    const once = await dfs(['--json', 'put', 'twins/d1/same.txt', './twins/d1/same.txt', 'twins/d1/../d1/same.txt', 'twins-once/']);
    expect(once.code, once.stderr).toBe(0);
    expect(once.json().map((f: { path: string }) => f.path)).toEqual(['twins-once/same.txt']);
    expect((await api.get('/v1/versions/twins-once/same.txt')).body.versions).toHaveLength(1);

    // macOS may hand out names in NFD; the server keeps NFC, and a rerun must see them as stored.
    const nfd = 'cafe\u0301.txt';
    await writeFile(local('twins', nfd), 'café');
    for (let run = 0; run < 2; run++) expect((await dfs(['put', `twins/${nfd}`, 'twins-up/'])).code).toBe(0);
    const versions = await api.get(`/v1/versions/${encodeURIComponent('twins-up/café.txt')}`);
    expect(versions.body.versions).toHaveLength(1);
  });

  it('fetches again only what is missing or different locally, unless forced', async () => {
    const contents: Record<string, string> = { 'a.txt': 'alpha', 'b.txt': 'beta', 'deep/c.txt': 'gamma' };
    await mkdir(local('fetch', 'deep'), { recursive: true });
    for (const [name, content] of Object.entries(contents)) await writeFile(local('fetch', name), content);
    expect((await dfs(['put', '-r', 'fetch', 'remote/'])).code).toBe(0);
    const unchangedOf = (files: { remote: string; unchanged?: true }[]) => Object.fromEntries(files.map((f) => [f.remote, f.unchanged === true]));

    const first = await dfs(['--json', 'get', '-r', 'remote/fetch', 'got']);
    expect(first.code, first.stderr).toBe(0);
    expect(unchangedOf(first.json())).toEqual({ 'remote/fetch/a.txt': false, 'remote/fetch/b.txt': false, 'remote/fetch/deep/c.txt': false });
    // As an interrupted run leaves it: one file never arrived, one holds other bytes of its size.
    await rm(local('got', 'fetch', 'deep', 'c.txt'));
    await writeFile(local('got', 'fetch', 'b.txt'), 'BETA');
    const inodeOfA = (await stat(local('got', 'fetch', 'a.txt'))).ino;

    const dry = await dfs(['--json', 'get', '-r', '-n', 'remote/fetch', 'got']);
    expect(actionsOf(dry.json())).toEqual({
      'remote/fetch/a.txt': 'unchanged',
      'remote/fetch/b.txt': 'download',
      'remote/fetch/deep/c.txt': 'download',
    });
    expect(await readFile(local('got', 'fetch', 'b.txt'), 'utf8')).toBe('BETA');
    expect((await dfs(['get', '-r', '--dry-run', 'remote/fetch', 'got'])).stdout).toContain(`would download remote/fetch/b.txt -> ${join('got', 'fetch', 'b.txt')}`);

    const again = await dfs(['--json', 'get', '-r', 'remote/fetch', 'got']);
    expect(again.code, again.stderr).toBe(0);
    expect(unchangedOf(again.json())).toEqual({ 'remote/fetch/a.txt': true, 'remote/fetch/b.txt': false, 'remote/fetch/deep/c.txt': false });
    for (const [name, content] of Object.entries(contents)) expect(await readFile(local('got', 'fetch', name), 'utf8')).toBe(content);
    // Skipped means not written at all: a download replaces the file by a new one.
    expect((await stat(local('got', 'fetch', 'a.txt'))).ino).toBe(inodeOfA);
    expect((await dfs(['get', '-r', 'remote/fetch', 'got'])).stdout).toContain(`unchanged remote/fetch/a.txt -> ${join('got', 'fetch', 'a.txt')}`);

    const forced = await dfs(['--json', 'get', '-r', '--force', 'remote/fetch', 'got']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(Object.values(unchangedOf(forced.json()))).toEqual([false, false, false]);
    expect((await stat(local('got', 'fetch', 'a.txt'))).ino).not.toBe(inodeOfA);
  });

  it('leaves out of folder transfers what --exclude names, by name at any depth or by path', async () => {
    const tree = ['app/main.js', 'app/debug.log', 'app/node_modules/dep/index.js', 'app/lib/node_modules/x.js', 'app/lib/util.js', 'app/build/out.js', 'app/lib/build/keep.js'];
    for (const path of tree) {
      await mkdir(join(work, path, '..'), { recursive: true });
      await writeFile(local(path), path);
    }
    const put = await dfs(['--json', 'put', '-r', 'app', 'ex/', '--exclude', 'node_modules', '-x', '*.log', '-x', 'build/**']);
    expect(put.code, put.stderr).toBe(0);
    const kept = ['ex/app/lib/build/keep.js', 'ex/app/lib/util.js', 'ex/app/main.js'];
    expect(put.json().map((f: { path: string }) => f.path).sort()).toEqual(kept);
    expect((await dfs(['--json', 'ls', '-r', 'ex']).then((r) => r.json())).files.map((f: { path: string }) => f.path).sort()).toEqual(kept);

    const get = await dfs(['--json', 'get', '-r', 'ex/app', 'ex-back', '-x', 'lib/**']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.json().map((f: { remote: string }) => f.remote)).toEqual(['ex/app/main.js']);
    expect(await readdir(local('ex-back', 'app'))).toEqual(['main.js']);
  });

  it('follows symbolic links in a folder, once round a loop, and names a broken one', async () => {
    await mkdir(local('linked', 'real'), { recursive: true });
    await mkdir(local('elsewhere'), { recursive: true });
    await writeFile(local('linked', 'real', 'a.txt'), 'a');
    await writeFile(local('elsewhere', 'b.txt'), 'b');
    await symlink(local('elsewhere', 'b.txt'), local('linked', 'b-link.txt'));
    await symlink(local('elsewhere'), local('linked', 'dir-link'));
    await symlink(local('linked'), local('linked', 'real', 'loop'));
    await symlink(local('linked', 'nowhere.txt'), local('linked', 'broken.txt'));
    const put = await dfs(['--json', 'put', '-r', 'linked', 'links/']);
    expect(put.code).toBe(1);
    expect(put.stderr.trim()).toBe(`dfs: ${join('linked', 'broken.txt')}: broken symbolic link`);
    expect(put.json().map((f: { path: string }) => f.path).sort()).toEqual(['links/linked/b-link.txt', 'links/linked/dir-link/b.txt', 'links/linked/real/a.txt']);
    expect((await dfs(['get', 'links/linked/dir-link/b.txt', '-'])).stdout).toBe('b');
  });

  it('moves 300 files of every small size in batches; a file that fails does not stop the others', async () => {
    const sizes = [0, 1, 4096, 64 * 1024, 64 * 1024 + 1, 300 * 1024, 2 * MiB];
    const expected = new Map<string, Uint8Array<ArrayBuffer>>();
    await mkdir(local('many'));
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(sizes[i % sizes.length]!, 100 + i);
      const name = `f${String(i).padStart(3, '0')}.bin`;
      expected.set(name, bytes);
      await writeFile(local('many', name), bytes);
    }
    // A control character is not allowed in a path: this one file is refused, alone.
    await writeFile(local('many', 'bad\u0001name.txt'), 'x');
    const put = await dfs(['--json', 'put', '-r', 'many', 'batch/']);
    expect(put.code).toBe(1);
    expect(put.json()).toHaveLength(300);
    const failures = put.stderr.trim().split('\n');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.startsWith("dfs: $'many/bad\\x01name.txt': ")).toBe(true);
    expect(failures[0]).toMatch(/control character/);
    const listed = await dfs(['--json', 'ls', '-r', 'batch/many']);
    expect(listed.json().files).toHaveLength(300);

    const get = await dfs(['get', '-r', 'batch/many', 'many-back']);
    expect(get.code, get.stderr).toBe(0);
    for (const [name, bytes] of expected) {
      expect(await sameBytes(new Uint8Array(await readFile(local('many-back', 'many', name))), bytes), name).toBe('same');
    }
    expect((await readdir(local('many-back', 'many'))).filter((name) => name.includes('.dfs-part'))).toEqual([]);
  });

  it('reports a checksum mismatch as an error, never a silent success', async () => {
    await writeFile(local('honest.txt'), 'the right bytes');
    expect((await dfs(['put', 'honest.txt', 'cs/file.txt'])).code).toBe(0);
    // Another client commits different bytes under the recorded digest of the first.
    const api = new Api(server.url, server.adminToken);
    const wrong = new TextEncoder().encode('the wrong bytes');
    const created = await api.post('/v1/uploads', { path: 'cs/file.txt', size: wrong.length });
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: wrong });
    await api.post(`/v1/uploads/${created.body.id}/complete`, { sha256: await sha256Hex(new TextEncoder().encode('the right bytes')) });
    const get = await dfs(['get', 'cs/file.txt', 'cs.txt']);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/cs\/file\.txt: checksum mismatch/);
    expect(await readdir(work)).not.toContain('cs.txt');
    // Bytes on a pipe cannot be taken back: the exit code and the error line say they are wrong.
    const piped = await dfs(['get', 'cs/file.txt', '-']);
    expect(piped.code).toBe(1);
    expect(piped.stderr).toMatch(/^dfs: cs\/file\.txt: checksum mismatch/);
  });

  it('fails a get at once when the stored object is not the size the index records', async () => {
    await writeFile(local('sized.txt'), 'twelve bytes');
    expect((await dfs(['put', 'sized.txt', 'cs/sized.txt'])).code).toBe(0);
    // The object changed behind the index's back (objects never change under their keys in dfs):
    // every try would read the same wrong length, so none is repeated.
    const { objectKey } = (await server.ctx.index.getFile('cs/sized.txt'))!;
    await server.ctx.store.deleteObjects([objectKey]);
    const overwrite = await server.ctx.store.presignPut(objectKey, { contentLength: 5, contentType: 'text/plain', expiresInSeconds: 60 });
    expect((await fetch(overwrite.url, { method: 'PUT', headers: overwrite.headers, body: 'short' })).status).toBe(200);
    const get = await dfs(['get', 'cs/sized.txt', 'sized-back.txt']);
    expect(get.code).toBe(1);
    expect(get.stderr).toBe('dfs: cs/sized.txt: the store announced 5 of 12 bytes\n');
    expect(await readdir(work)).not.toContain('sized-back.txt');
  });

  it('puts standard input and gets a file to standard output, both verified', async () => {
    const spoolDir = local('spool');
    await mkdir(spoolDir);
    const piping = { ...env, TMPDIR: spoolDir };
    // Over the multipart threshold, so the spooled input goes in parts like any big file.
    const bytes = randomBytes(17 * MiB + 3, 11);
    const put = await dfs(['--json', 'put', '-', 'piped/data.bin', '--part-size', '5'], { input: bytes, env: piping });
    expect(put.code, put.stderr).toBe(0);
    expect(put.json()[0]).toMatchObject({ path: 'piped/data.bin', size: bytes.length, sha256: await sha256Hex(bytes), parts: { sent: 4, resumed: 0, total: 4 } });
    expect(await readdir(spoolDir)).toEqual([]);
    const empty = await dfs(['--json', 'put', '-', 'piped/empty.txt'], { input: '', env: piping });
    expect(empty.json()[0]).toMatchObject({ path: 'piped/empty.txt', size: 0 });

    const get = await dfs(['get', 'piped/data.bin', '-']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stderr).toBe('');
    expect(await sameBytes(get.bytes, bytes)).toBe('same');
    expect((await dfs(['get', '/piped/empty.txt', '-'])).bytes).toHaveLength(0);

    for (const args of [['put', '-', 'piped/'], ['put', '-'], ['put', '-', 'one.bin', 'piped/'], ['get', '-r', 'piped', '-'], ['get', 'piped/data.bin', 'piped/empty.txt', '-']]) {
      const refused = await dfs(args, { input: 'x', env: piping });
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(/^dfs: "-" |^dfs: name the remote file/);
    }
    expect(await readdir(spoolDir)).toEqual([]);
  });
});

describe('resume', () => {
  it('continues a killed put without sending the parts the store already holds', async () => {
    const bytes = randomBytes(60 * MiB, 9);
    await writeFile(local('resume.bin'), bytes);
    const cache = join(work, 'resume-cache');
    const resumeEnv = { ...env, XDG_CACHE_HOME: cache };
    const killed = start(['put', 'resume.bin', 'resume/file.bin', '--part-size', '5', '--parts', '1'], { env: resumeEnv });
    const api = new Api(server.url, server.adminToken);
    let held: number[] = [];
    let uploadId = '';
    for (let i = 0; i < 600 && held.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const saved = (await readdir(join(cache, 'dfs', 'uploads')).catch(() => [])).filter((name) => name.endsWith('.json'));
      if (saved.length === 0) continue;
      uploadId = JSON.parse(await readFile(join(cache, 'dfs', 'uploads', saved[0]!), 'utf8')).uploadId;
      held = (await api.get(`/v1/uploads/${uploadId}`)).body.parts.map((p: { partNumber: number }) => p.partNumber);
    }
    killed.child.kill('SIGKILL');
    await killed.done;
    held = (await api.get(`/v1/uploads/${uploadId}`)).body.parts.map((p: { partNumber: number }) => p.partNumber);
    expect(held.length).toBeGreaterThanOrEqual(3);
    expect(held.length).toBeLessThan(12);
    expect((await api.get('/v1/files/resume/file.bin')).status).toBe(404);

    const rerun = await dfs(['--json', 'put', 'resume.bin', 'resume/file.bin', '--part-size', '5'], { env: resumeEnv });
    expect(rerun.code, rerun.stderr).toBe(0);
    // A part already in the kernel's socket buffer at the kill may still reach the store
    // afterwards, so the rerun can find more parts held than were counted here: never fewer.
    const { sent, resumed, total } = rerun.json()[0].parts;
    expect(total).toBe(12);
    expect(resumed).toBeGreaterThanOrEqual(held.length);
    expect(sent).toBe(12 - resumed);
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.state).toBe('completed');
    expect(rerun.json()[0].sha256).toBe(await sha256Hex(bytes));
  });

  /**
   * A put of `name` (30 MiB, six 5 MiB parts) through an API proxy, killed once it has saved its
   * upload for resume and before it sends a part; `onRerun` sees each request of the runs after.
   */
  async function putKilledBeforeParts(name: string, seed: number, onRerun: (path: string, uploadId: string) => Promise<ProxyAnswer | void> | ProxyAnswer | void) {
    const bytes = randomBytes(30 * MiB, seed);
    await writeFile(local(name), bytes);
    const cacheEnv = { ...env, XDG_CACHE_HOME: join(work, `${name}-cache`) };
    let uploadId = '';
    const spy = await startApiProxy(server.url, (path) => {
      // The first run dies here, holding its upload's URLs for none of its parts.
      if (!uploadId) return /^\/v1\/uploads\/[^/]+\/parts/.test(path) ? new Promise<void>(() => undefined) : undefined;
      return onRerun(path, uploadId);
    });
    const uploads = join(cacheEnv.XDG_CACHE_HOME, 'dfs', 'uploads');
    const first = start(['put', name, `resume/${name}`, '--part-size', '5'], { env: { ...cacheEnv, DFS_ENDPOINT: spy.url } });
    let saved: string[] = [];
    for (let i = 0; i < 600 && saved.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      saved = (await readdir(uploads).catch(() => [])).filter((file) => file.endsWith('.json'));
    }
    first.child.kill('SIGKILL');
    await first.done;
    const id: string = JSON.parse(await readFile(join(uploads, saved[0]!), 'utf8')).uploadId;
    const rerun = (args: string[] = []) => dfs(['--json', 'put', name, `resume/${name}`, '--part-size', '5', ...args], { env: { ...cacheEnv, DFS_ENDPOINT: spy.url } });
    return { bytes, rerun, uploadId: () => (uploadId = id), close: () => spy.close() };
  }

  /** PUTs parts of an open upload as another client would, straight to the store. */
  async function sendParts(api: Api, uploadId: string, bytes: Uint8Array<ArrayBuffer>, partNumbers: number[]) {
    const signed = (await api.post(`/v1/uploads/${uploadId}/parts`, { partNumbers })).body.parts;
    for (const part of signed) {
      const slice = bytes.subarray((part.partNumber - 1) * 5 * MiB, part.partNumber * 5 * MiB);
      expect((await fetch(part.url, { method: 'PUT', headers: part.headers, body: slice })).ok).toBe(true);
    }
  }

  it('keeps the resume state through an API blip on the lookup, and sends only what is missing', async () => {
    let blipped = false;
    const killed = await putKilledBeforeParts('blip.bin', 21, (path, uploadId) => {
      if (blipped || path !== `/v1/uploads/${uploadId}`) return;
      blipped = true;
      return { status: 503, body: { error: { code: 'storage_unavailable', message: 'the object store is unavailable' } } };
    });
    const api = new Api(server.url, server.adminToken);
    const uploadId = killed.uploadId();
    await sendParts(api, uploadId, killed.bytes, [1, 2]);
    const rerun = await killed.rerun();
    await killed.close();
    expect(blipped).toBe(true);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/: the object store is unavailable; trying again \(2 of 5\)$/m);
    expect(rerun.json()[0].parts).toEqual({ sent: 4, resumed: 2, total: 6 });
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.state).toBe('completed');
  });

  it('abandons what an interrupted run left once the file changed: its upload aborted, its state gone', async () => {
    const api = new Api(server.url, server.adminToken);
    const killed = await putKilledBeforeParts('changed-since.bin', 23, () => undefined);
    const uploadId = killed.uploadId();
    await sendParts(api, uploadId, killed.bytes, [1, 2]);
    // A kill inside the claim leaves its lock beside the state too (a pid that runs no more).
    const uploads = join(work, 'changed-since.bin-cache', 'dfs', 'uploads');
    const [state] = (await readdir(uploads)).filter((name) => name.endsWith('.json'));
    await writeFile(join(uploads, state!.replace(/\.json$/, '.lock')), '999999');
    // The file changes between the runs: another size, so another resume key.
    const bytes = randomBytes(26 * MiB, 24);
    await writeFile(local('changed-since.bin'), bytes);
    const rerun = await killed.rerun();
    await killed.close();
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()[0].parts).toEqual({ sent: 6, resumed: 0, total: 6 });
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.state).toBe('aborted');
    expect(await readdir(uploads)).toEqual([]);
    expect(await sameBytes(await downloadBytes(api, 'resume/changed-since.bin'), bytes)).toBe('same');
  });

  it('lets a rerun finish when another run completed the upload it resumed under it', async () => {
    const api = new Api(server.url, server.adminToken);
    let completedByOther = false;
    const killed = await putKilledBeforeParts('twice.bin', 22, async (path, uploadId) => {
      // Two puts of one file at once (two terminals, a cron job overlapping itself): the other
      // sends every part and completes the upload just as this one asks to sign its parts.
      if (completedByOther || !/^\/v1\/uploads\/[^/]+\/parts/.test(path)) return;
      completedByOther = true;
      await sendParts(api, uploadId, killed.bytes, [1, 2, 3, 4, 5, 6]);
      expect((await api.post(`/v1/uploads/${uploadId}/complete`, { sha256: await sha256Hex(killed.bytes) })).status).toBe(200);
    });
    killed.uploadId();
    const rerun = await killed.rerun();
    await killed.close();
    expect(completedByOther).toBe(true);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()[0].sha256).toBe(await sha256Hex(killed.bytes));
    expect((await api.get('/v1/versions/resume/twice.bin')).body.versions).toHaveLength(1);
    expect(await sameBytes(await downloadBytes(api, 'resume/twice.bin'), killed.bytes)).toBe('same');
  });

  it('continues an interrupted get from its .dfs-part file', async () => {
    const bytes = randomBytes(40 * MiB, 11);
    await writeFile(local('dl-src.bin'), bytes);
    expect((await dfs(['put', 'dl-src.bin', 'dl/file.bin'])).code).toBe(0);
    const link = (await new Api(server.url, server.adminToken).post('/v1/downloads', { path: 'dl/file.bin' })).body;
    // An earlier run that finished the first 16 MiB range and then died.
    await writeFile(local('dl.bin.dfs-part'), Buffer.concat([Buffer.from(bytes.subarray(0, 16 * MiB)), Buffer.alloc(24 * MiB)]));
    await writeFile(local('dl.bin.dfs-part.json'), JSON.stringify({ version: link.version, size: bytes.length, rangeSize: 16 * MiB, done: [0] }));
    const get = await dfs(['get', 'dl/file.bin', 'dl.bin']);
    expect(get.code, get.stderr).toBe(0);
    expect(await sameBytes(new Uint8Array(await readFile(local('dl.bin'))), bytes)).toBe('same');
    expect(await readdir(work)).not.toContain('dl.bin.dfs-part.json');
  });
});

describe('Ctrl-C', () => {
  it('stops a get with a line saying how to continue; the rerun fetches only the missing ranges', async () => {
    const bytes = randomBytes(96 * MiB, 13);
    await writeFile(local('sig-src.bin'), bytes);
    expect((await dfs(['put', 'sig-src.bin', 'sig/file.bin'])).code).toBe(0);
    const interrupted = start(['get', 'sig/file.bin', 'sig.bin', '--parts', '1']);
    // Ranges the state file holds: the finished front of the file, and the ranges done past it.
    const saved = async () => {
      const state = JSON.parse(await readFile(local('sig.bin.dfs-part.json'), 'utf8').catch(() => '{"rangeSize":1,"done":[]}'));
      return Math.ceil((state.front ?? 0) / state.rangeSize) + (state.done.length as number);
    };
    await expect.poll(saved, { interval: 5, timeout: 10_000 }).toBeGreaterThan(0);
    interrupted.child.kill('SIGINT');
    const { code, stderr } = await interrupted.done;
    expect(code).toBe(130);
    expect(stderr).toMatch(/dfs: interrupted; run the same command again to continue/);
    const before = await saved();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(6);

    const rerun = await dfs(['--json', 'get', 'sig/file.bin', 'sig.bin']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const { fetched, resumed, total } = rerun.json()[0].ranges;
    expect(total).toBe(6);
    // Exactly the ranges the interrupted run had finished are kept; only the others are fetched.
    expect(resumed).toBe(before);
    expect(fetched).toBe(total - before);
    expect(await sameBytes(new Uint8Array(await readFile(local('sig.bin'))), bytes)).toBe('same');
  });
});

describe('a failed put of standard input', () => {
  it('aborts its multipart upload on the server: no rerun could ever continue it', async () => {
    // The store refuses every part: their URLs reach the CLI with a signature that does not hold.
    let uploadId = '';
    const forge = (part: { url: string }) => ({ ...part, url: part.url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`) });
    const liar = await startApiProxy(
      server.url,
      () => undefined,
      (path, answer) => {
        if (path === '/v1/uploads' && answer.id) uploadId = answer.id;
        return Array.isArray(answer?.parts) ? { ...answer, parts: answer.parts.map(forge) } : answer;
      },
    );
    try {
      const put = await dfs(['put', '-', 'stdin-fail/data.bin', '--part-size', '5'], { input: randomBytes(17 * MiB, 19), env: { ...env, DFS_ENDPOINT: liar.url } });
      expect(put.code).toBe(1);
      expect(put.stderr).toContain('SignatureDoesNotMatch');
    } finally {
      await liar.close();
    }
    expect(uploadId).not.toBe('');
    expect((await server.ctx.index.getUpload(uploadId))?.state).toBe('aborted');
  });
});

describe('Ctrl-C during cp -r', () => {
  it('says where the files copied so far are and how to copy the rest, which -T then does', async () => {
    const tree = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${String(i).padStart(2, '0')}.txt`, `file ${i}`]));
    await mkdir(local('cp-int'));
    for (const [name, content] of Object.entries(tree)) await writeFile(local('cp-int', name), content);
    expect((await dfs(['put', '-r', 'cp-int', '/'])).code).toBe(0);
    // The API answers five copies, then holds every next one, never to make it: the run is interrupted there.
    let copies = 0;
    let held = () => {};
    const hold = new Promise<void>((resolve) => (held = resolve));
    const slow = await startApiProxy(server.url, async (path): Promise<ProxyAnswer | void> => {
      if (path !== '/v1/copy' || ++copies <= 5) return;
      await hold;
      return { status: 503, body: { error: { code: 'storage_unavailable', message: 'held' } } };
    });
    try {
      const interrupted = start(['cp', '-r', 'cp-int', 'cp-int-copy'], { env: { ...env, DFS_ENDPOINT: slow.url } });
      await expect.poll(() => copies, { timeout: 10_000 }).toBeGreaterThan(5);
      interrupted.child.kill('SIGINT');
      const { code, stderr } = await interrupted.done;
      expect(code).toBe(130);
      expect(stderr).toBe('\ndfs: interrupted; the files copied so far are in cp-int-copy: dfs cp -rT cp-int cp-int-copy copies the rest\n');
    } finally {
      held();
      await slow.close();
    }
    const rest = await dfs(['--json', 'cp', '-rT', 'cp-int', 'cp-int-copy']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.json().unchanged.length).toBeGreaterThanOrEqual(5);
    expect(rest.json().copied.length + rest.json().unchanged.length).toBe(30);
    expect((await dfs(['--json', 'ls', 'cp-int-copy'])).json().files).toHaveLength(30);
  });
});

describe('Ctrl-C on standard input', () => {
  /**
   * Stops `dfs put - <remote>` with `signal` once it has copied 1 MiB of a standard input left
   * open (its handlers set), with TMPDIR at `tmp`: its exit code and what it said.
   */
  async function stopWhileCopying(tmp: string, remote: string, signal: NodeJS.Signals, seed: number) {
    await mkdir(tmp);
    const child = spawn(process.execPath, [DFS_BIN, 'put', '-', remote], { cwd: work, env: { ...env, TMPDIR: tmp }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.write(randomBytes(MiB, seed));
    const copied = async () => {
      const [folder] = await readdir(tmp);
      return folder === undefined ? 0 : (await stat(join(tmp, folder, 'stdin')).catch(() => ({ size: 0 }))).size;
    };
    await expect.poll(copied, { interval: 5, timeout: 20_000 }).toBe(MiB);
    child.kill(signal);
    const code = await new Promise((resolve) => child.once('close', resolve));
    child.stdin.destroy();
    return { code, stderr };
  }

  it('removes the copy of the input and does not offer to resume what cannot be', async () => {
    const tmp = local('stdin-tmp');
    const states = () => readdir(join(work, 'cache', 'dfs', 'uploads')).catch(() => []);
    const statesBefore = await states();
    const { code, stderr } = await stopWhileCopying(tmp, 'sig/stdin.bin', 'SIGINT', 17);
    expect(code).toBe(130);
    expect(stderr).toContain('dfs: interrupted; standard input cannot be resumed');
    expect(await readdir(tmp)).toEqual([]);
    expect(await states()).toEqual(statesBefore);
  });

  it('removes the copy when killed (a timeout, a cancelled job), too', async () => {
    const tmp = local('stdin-killed');
    const { code, stderr } = await stopWhileCopying(tmp, 'sig/killed.bin', 'SIGTERM', 20);
    expect(code).toBe(143);
    expect(stderr).toContain('dfs: stopped by SIGTERM; standard input cannot be resumed');
    expect(await readdir(tmp)).toEqual([]);
  });
});

describe('file commands in --json', () => {
  it('ls, stat, mv, cp, versions, restore, share and rm', async () => {
    await writeFile(local('v.txt'), 'one');
    expect((await dfs(['put', 'v.txt', 'cmd/v.txt'])).code).toBe(0);
    await writeFile(local('v.txt'), 'two!');
    expect((await dfs(['put', 'v.txt', 'cmd/v.txt'])).code).toBe(0);

    const ls = await dfs(['--json', 'ls', 'cmd']);
    expect(ls.json().files.map((f: { path: string }) => f.path)).toEqual(['cmd/v.txt']);
    expect((await dfs(['--json', 'stat', 'cmd/v.txt'])).json()).toMatchObject({ path: 'cmd/v.txt', size: 4 });

    const versions = (await dfs(['--json', 'versions', 'cmd/v.txt'])).json();
    expect(versions).toHaveLength(2);
    const restored = await dfs(['--json', 'restore', 'cmd/v.txt', versions[1].version]);
    expect(restored.json()).toMatchObject({ path: 'cmd/v.txt', size: 3 });

    expect((await dfs(['--json', 'cp', 'cmd/v.txt', 'cmd/copy.txt'])).json()).toMatchObject({ path: 'cmd/copy.txt', size: 3 });
    for (const command of ['cp', 'mv']) {
      const taken = await dfs([command, 'cmd/v.txt', 'cmd/copy.txt']);
      expect(taken.code, command).toBe(1);
      expect(taken.stderr).toBe('dfs: "cmd/copy.txt" already exists (use -f to replace it)\n');
    }
    // Under a file is a name clash, which -f would not mend: no such advice.
    const clash = await dfs(['cp', 'cmd/v.txt', 'cmd/copy.txt/inner.txt']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/^dfs: .*cmd\/copy\.txt.*\n$/);
    expect(clash.stderr).not.toContain('-f');
    expect((await dfs(['--json', 'mv', 'cmd', 'moved'])).json()).toEqual({ moved: 2 });
    const share = (await dfs(['--json', 'share', 'moved/v.txt', '--expires', '1h'])).json();
    expect(share.url).toMatch(/\/s\/[0-9a-z]+$/);
    expect(Date.parse(share.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const opened = await fetch(share.url);
    expect(await opened.text()).toBe('one');

    // A folder needs -r, said in the CLI's words; one path failing does not stop the others.
    const folder = await dfs(['rm', 'moved']);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe('dfs: moved: is a folder (use -r to delete it and everything in it)\n');
    const some = await dfs(['--json', 'rm', 'moved/copy.txt', 'moved/nothing.txt', 'moved/v.txt']);
    expect(some.code).toBe(1);
    expect(some.json()).toEqual({ deleted: ['moved/copy.txt', 'moved/v.txt'] });
    expect(some.stderr).toMatch(/^dfs: no file at "moved\/nothing\.txt"\n$/);
    expect((await dfs(['--json', 'ls', 'moved'])).json()).toEqual({ files: [], folders: [] });
    expect((await dfs(['put', 'v.txt', 'moved/v.txt'])).code).toBe(0);
    expect((await dfs(['--json', 'rm', '-r', 'moved'])).json()).toEqual({ deleted: ['moved'] });
    expect((await dfs(['--json', 'ls', 'moved'])).json()).toEqual({ files: [], folders: [] });
  });

  it('cp -r copies a folder file by file; a rerun copies only what is not there yet', async () => {
    await mkdir(local('tree-cp', 'sub'), { recursive: true });
    await writeFile(local('tree-cp', 'a.txt'), 'a');
    await writeFile(local('tree-cp', 'sub', 'ü b.txt'), 'b');
    expect((await dfs(['put', '-r', 'tree-cp', 'cpr/'])).code).toBe(0);

    const folder = await dfs(['cp', 'cpr/tree-cp', 'cpr/copy']);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe('dfs: cpr/tree-cp: is a folder (use -r to copy it and everything in it)\n');

    // A folder not there yet is the copy's new name; one there is a folder to copy into, as cp does.
    const named = await dfs(['--json', 'cp', '-r', 'cpr/tree-cp', 'cpr/named']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.json().copied.map((f: { path: string }) => f.path)).toEqual(['cpr/named/a.txt', 'cpr/named/sub/ü b.txt']);
    const api = new Api(server.url, server.adminToken);
    expect(new TextDecoder().decode(await downloadBytes(api, 'cpr/named/sub/ü b.txt'))).toBe('b');
    const intoNamed = await dfs(['cp', '-r', 'cpr/tree-cp', 'cpr/named']);
    expect(intoNamed.stdout).toBe('copied 2 files: cpr/tree-cp -> cpr/named/tree-cp\n');

    // One destination now differs: a rerun names it, copies nothing twice, and -f replaces it.
    expect((await dfs(['cp', '-r', 'cpr/tree-cp', 'cpr/copies/'])).code).toBe(0);
    await writeFile(local('changed.txt'), 'changed');
    expect((await dfs(['put', 'changed.txt', 'cpr/copies/tree-cp/a.txt'])).code).toBe(0);
    const clash = await dfs(['--json', 'cp', '-r', 'cpr/tree-cp', 'cpr/copies/']);
    expect(clash.code).toBe(1);
    expect(clash.json()).toEqual({ copied: [], unchanged: ['cpr/copies/tree-cp/sub/ü b.txt'] });
    expect(clash.stderr).toBe('dfs: cpr/tree-cp/a.txt: "cpr/copies/tree-cp/a.txt" already exists (use -f to replace it)\n');
    const forced = await dfs(['cp', '-rf', 'cpr/tree-cp', 'cpr/copies/']);
    expect(forced.stdout).toBe('copied 1 file: cpr/tree-cp -> cpr/copies/tree-cp (1 file already there)\n');
    expect(new TextDecoder().decode(await downloadBytes(api, 'cpr/copies/tree-cp/a.txt'))).toBe('a');
    expect((await dfs(['--json', 'versions', 'cpr/copies/tree-cp/a.txt'])).json()).toHaveLength(3);

    // A file named with -r is copied as itself.
    expect((await dfs(['--json', 'cp', '-r', 'cpr/tree-cp/a.txt', 'cpr/one.txt'])).json()).toMatchObject({ path: 'cpr/one.txt', size: 1 });

    // Typed decomposed (as a Mac's file names are), the paths are the ones the server lists composed.
    const nfd = await dfs(['--json', 'cp', '-r', 'cpr/tree-cp/sub', 'cpr/nfd-u\u0308/']);
    expect(nfd.json().copied.map((f: { path: string }) => f.path)).toEqual(['cpr/nfd-ü/sub/ü b.txt']);
    expect((await dfs(['--json', 'cp', '-r', 'cpr/nfd-u\u0308/sub', 'cpr/nfd-u\u0308/sub'.normalize('NFC')])).code).toBe(2);
    expect((await dfs(['--json', 'cp', '-r', 'cpr/nfd-u\u0308/sub', 'cpr/nfd-ü/sub/u\u0308'])).code).toBe(2);

    for (const [args, code, message] of [
      [['cpr/tree-cp', 'cpr/tree-cp/inner'], 2, 'dfs: cannot copy cpr/tree-cp into itself\n'],
      [['/', 'elsewhere'], 2, 'dfs: cannot copy the top level into itself\n'],
      [['cpr/none', 'cpr/x'], 1, 'dfs: cpr/none: no such folder\n'],
    ] as const) {
      const refused = await dfs(['cp', '-r', ...args]);
      expect(refused.code, args.join(' ')).toBe(code);
      expect(refused.stderr).toBe(message);
    }
    const slashed = await dfs(['cp', 'cpr/tree-cp/', 'cpr/x']);
    expect(slashed.code).toBe(2);
    expect(slashed.stderr).toBe('dfs: cpr/tree-cp/ names a folder: copy it with -r\n');

    // A token whose prefix covers the source only: one line naming both ends, for a folder or a file.
    const within = (await api.post('/v1/tokens', { name: 'cp-within', scopes: ['read', 'write'], prefix: 'cpr/tree-cp' })).body.token;
    const outside = await dfs(['cp', '-r', 'cpr/tree-cp', 'cpr/elsewhere'], { env: { ...env, DFS_TOKEN: within } });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/^dfs: cpr\/tree-cp\/(a\.txt|sub\/ü b\.txt) -> cpr\/elsewhere\/\S.*: this token may only access paths under "cpr\/tree-cp\/"\n$/);
    const one = await dfs(['cp', 'cpr/tree-cp/a.txt', 'cpr/x.txt'], { env: { ...env, DFS_TOKEN: within } });
    expect(one.stderr).toBe('dfs: cpr/tree-cp/a.txt -> cpr/x.txt: this token may only access paths under "cpr/tree-cp/"\n');

    // A token refused mid-copy (revoked once the folder was listed, as the copies begin) stops
    // the copy at once, in one line.
    const { token, id } = (await api.post('/v1/tokens', { name: 'cp-revoked', scopes: ['read', 'write'] })).body;
    let revoking: Promise<unknown> | undefined;
    const revoker = await startApiProxy(server.url, async (path) => {
      if (path === '/v1/copy') await (revoking ??= api.delete(`/v1/tokens/${id}`));
    });
    const revoked = await dfs(['cp', '-r', 'cpr/tree-cp', 'cpr/by-revoked'], { env: { ...env, DFS_ENDPOINT: revoker.url, DFS_TOKEN: token } }).finally(() => revoker.close());
    expect(revoking).toBeDefined();
    expect(revoked.code).toBe(1);
    expect(revoked.stderr.trim().split('\n')).toHaveLength(1);
    expect(revoked.stderr).toContain('the token was refused');
    expect((await dfs(['--json', 'ls', '-r', 'cpr/tree-cp'])).json().files).toHaveLength(2);
  });

  it('unshare ends a link dfs share printed, by its URL or its id', async () => {
    await writeFile(local('shared.txt'), 'shared');
    expect((await dfs(['put', 'shared.txt', 'unshare/shared.txt'])).code).toBe(0);
    const links = await Promise.all([0, 1].map(async () => (await dfs(['--json', 'share', 'unshare/shared.txt'])).json()));
    const revoked = await dfs(['--json', 'unshare', links[0].url, links[1].id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toEqual({ revoked: [links[0].id, links[1].id] });
    for (const link of links) expect((await fetch(link.url, { redirect: 'manual' })).status).toBe(404);
    const again = await dfs(['unshare', links[0].url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(links[0].url);
  });

  it('shares lists the links of a file or of a folder, which unshare takes', async () => {
    await writeFile(local('shared.txt'), 'shared');
    for (const path of ['shares/a.txt', 'shares/ab.txt', 'shares/in/c.txt']) expect((await dfs(['put', 'shared.txt', path])).code).toBe(0);
    const link = async (path: string) => (await dfs(['--json', 'share', path])).json();
    const [a, ab, c] = [await link('shares/a.txt'), await link('shares/ab.txt'), await link('shares/in/c.txt')];
    const of = async (...args: string[]) => {
      const run = await dfs(['--json', 'shares', ...args]);
      expect(run.code, run.stderr).toBe(0);
      return run.json().map((s: { id: string }) => s.id);
    };
    expect(await of('shares/a.txt')).toEqual([a.id]);
    expect(await of('shares')).toEqual([a.id, ab.id, c.id]);
    expect(await of('shares/in/')).toEqual([c.id]);
    const human = await dfs(['shares', 'shares/in']);
    expect(human.stdout).toMatch(new RegExp(`^${c.url}  shares/in/c.txt  expires \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\n$`));
    expect((await dfs(['unshare', ab.id])).code).toBe(0);
    expect(await of('shares')).toEqual([a.id, c.id]);
    // A link to a path with no file now is listed, saying it opens nothing.
    expect((await dfs(['rm', 'shares/in/c.txt'])).code).toBe(0);
    expect((await dfs(['shares', 'shares/in'])).stdout).toMatch(new RegExp(`^${c.url}  shares/in/c.txt  expires [0-9: -]{19}  \\(no file there now\\)\\n$`));
  });

  it('ls says a folder named with its "/" is not there, and lists nothing for a prefix nothing starts with', async () => {
    const missing = await dfs(['--json', 'ls', 'no/such/folder/']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('dfs: no/such/folder/: no such folder\n');
    const prefix = await dfs(['--json', 'ls', 'no/such/name']);
    expect(prefix.code).toBe(0);
    expect(prefix.json()).toEqual({ files: [], folders: [] });
  });

  it('ls lists a folder named without "/", or the names starting with a prefix', async () => {
    for (const name of ['lsp/report-2025.txt', 'lsp/report-2026.txt', 'lsp/readme.md', 'lsp/reports/q1.txt']) {
      await writeFile(local('lsp.txt'), name);
      expect((await dfs(['put', 'lsp.txt', name])).code).toBe(0);
    }
    const folder = await dfs(['--json', 'ls', 'lsp']);
    expect(folder.json().files.map((f: { path: string }) => f.path)).toEqual(['lsp/readme.md', 'lsp/report-2025.txt', 'lsp/report-2026.txt']);
    expect(folder.json().folders).toEqual(['lsp/reports/']);
    const named = await dfs(['--json', 'ls', 'lsp/rep']);
    expect(named.json().files.map((f: { path: string }) => f.path)).toEqual(['lsp/report-2025.txt', 'lsp/report-2026.txt']);
    expect(named.json().folders).toEqual(['lsp/reports/']);
  });

  it('reads a leading "/" as the top level in every command', async () => {
    const token = (await dfs(['--json', 'token', 'create', 'rooted', '--scope', 'read', 'write', 'delete', '--prefix', '/rooted'])).json();
    expect(token.prefix).toBe('rooted/');
    const asRooted = { ...env, DFS_TOKEN: token.token };
    await writeFile(local('r.txt'), 'rooted');
    const put = await dfs(['--json', 'put', 'r.txt', '/rooted/a/r.txt'], { env: asRooted });
    expect(put.code, put.stderr).toBe(0);
    expect(put.json()[0].path).toBe('rooted/a/r.txt');
    expect((await dfs(['--json', 'ls', '/'], { env: asRooted })).json()).toEqual({ files: [], folders: ['rooted/'] });
    expect((await dfs(['--json', 'ls', '/rooted/a'], { env: asRooted })).json().files.map((f: { path: string }) => f.path)).toEqual(['rooted/a/r.txt']);
    expect((await dfs(['--json', 'stat', '/rooted/a/r.txt'], { env: asRooted })).json()).toMatchObject({ path: 'rooted/a/r.txt', size: 6 });
    expect((await dfs(['--json', 'cp', '/rooted/a/r.txt', '/rooted/b.txt'], { env: asRooted })).json()).toMatchObject({ path: 'rooted/b.txt' });
    expect((await dfs(['--json', 'mv', '/rooted/b.txt', '/rooted/c.txt'], { env: asRooted })).json()).toMatchObject({ moved: 1 });
    expect((await dfs(['--json', 'versions', '/rooted/c.txt'], { env: asRooted })).json()).toHaveLength(1);

    const get = await dfs(['get', '-r', '/', 'everything'], { env: asRooted });
    expect(get.code, get.stderr).toBe(0);
    expect(await readFile(local('everything/rooted/a/r.txt'), 'utf8')).toBe('rooted');
    expect(await readFile(local('everything/rooted/c.txt'), 'utf8')).toBe('rooted');

    expect((await dfs(['rm', '-r', '/rooted/'], { env: asRooted })).code).toBe(0);
    expect((await dfs(['--json', 'ls', '/'], { env: asRooted })).json()).toEqual({ files: [], folders: [] });
  });

  it('creates, lists and revokes tokens; a revoked token exits 1 with a clear message', async () => {
    const created = (await dfs(['--json', 'token', 'create', 'ci', '--scope', 'read', '--prefix', 'small'])).json();
    expect(created).toMatchObject({ name: 'ci', scopes: ['read'], prefix: 'small/' });
    expect((await dfs(['--json', 'token', 'list'])).json().map((t: { id: string }) => t.id)).toContain(created.id);
    const asReader = { ...env, DFS_TOKEN: created.token };
    expect((await dfs(['--json', 'whoami'], { env: asReader })).json()).toMatchObject({ name: 'ci', prefix: 'small/' });
    expect((await dfs(['token', 'revoke', created.id])).code).toBe(0);
    const refused = await dfs(['ls'], { env: asReader });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/token was refused/);
  });
});

describe('what a command prints', () => {
  it('--quiet silences the lines saying what was done, never what a command is for', async () => {
    await writeFile(local('quiet.txt'), 'quiet');
    const put = await dfs(['-q', 'put', 'quiet.txt', 'quiet/q.txt']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout + put.stderr).toBe('');
    // The secret is shown once by the server: a quiet create that printed nothing lost it.
    const created = await dfs(['-q', 'token', 'create', 'quiet', '-s', 'read']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toBe('');
    expect((await dfs(['whoami'], { env: { ...env, DFS_TOKEN: created.stdout.trim() } })).stdout).toBe('quiet [read]\n');
    const share = await dfs(['-q', 'share', 'quiet/q.txt']);
    expect(share.stderr).toBe('');
    expect(await (await fetch(share.stdout.trim())).text()).toBe('quiet');
    for (const args of [['ls', 'quiet'], ['stat', 'quiet/q.txt'], ['versions', 'quiet/q.txt'], ['whoami'], ['token', 'list'], ['shares', 'quiet'], ['put', '-n', 'quiet.txt', 'quiet/q.txt']]) {
      const [quiet, loud] = [await dfs(['-q', ...args]), await dfs(args)];
      expect(quiet.stdout, args.join(' ')).not.toBe('');
      expect(quiet.stdout, args.join(' ')).toBe(loud.stdout);
    }
    for (const args of [['cp', 'quiet/q.txt', 'quiet/c.txt'], ['mv', 'quiet/c.txt', 'quiet/m.txt'], ['rm', 'quiet/m.txt']]) {
      const done = await dfs(['-q', ...args]);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout + done.stderr, args.join(' ')).toBe('');
    }
  });

  it('prints a link or a token alone on stdout, so that $(...) takes it; what else to know goes to stderr', async () => {
    await writeFile(local('captured.txt'), 'captured');
    expect((await dfs(['put', 'captured.txt', 'captured/c.txt'])).code).toBe(0);
    const share = await dfs(['share', 'captured/c.txt', '--expires', '1h']);
    expect(share.code, share.stderr).toBe(0);
    expect(share.stdout).toMatch(/^http:\/\/\S+\/s\/[0-9a-z]+\n$/);
    expect(share.stderr).toMatch(/^dfs: the link expires \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    expect(await (await fetch(share.stdout.trim())).text()).toBe('captured');
    const created = await dfs(['token', 'create', 'captured', '-s', 'read']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^\S+\n$/);
    expect(created.stderr).toMatch(/^dfs: the token is shown this once: keep it now \(id \S+\)\n$/);
    expect((await dfs(['whoami'], { env: { ...env, DFS_TOKEN: created.stdout.trim() } })).stdout).toBe('captured [read]\n');
  });

  it('says that revoking a token ends the tokens and links it made, and when the token in use went with it', async () => {
    await writeFile(local('lineage.txt'), 'lineage');
    expect((await dfs(['put', 'lineage.txt', 'lineage/l.txt'])).code).toBe(0);
    const parent = (await dfs(['--json', 'token', 'create', 'parent', '-s', 'admin'])).json();
    const asParent = { ...env, DFS_TOKEN: parent.token };
    const child = (await dfs(['--json', 'token', 'create', 'child', '-s', 'read', 'write'], { env: asParent })).json();
    const link = (await dfs(['--json', 'share', 'lineage/l.txt'], { env: { ...env, DFS_TOKEN: child.token } })).json();
    const revoked = await dfs(['token', 'revoke', parent.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`revoked ${parent.id}, and the tokens it created (and theirs, down the line) and every share link any of them made\n`);
    expect(revoked.stderr).toBe('');
    expect((await fetch(link.url, { redirect: 'manual' })).status).toBe(404);
    expect((await dfs(['whoami'], { env: { ...env, DFS_TOKEN: child.token } })).code).toBe(1);

    // The token that made the one in use is out of its reach; the token in use is not, and
    // revoking it leaves dfs refused: said at once.
    const maker = (await dfs(['--json', 'token', 'create', 'maker', '-s', 'admin'])).json();
    const made = (await dfs(['--json', 'token', 'create', 'made', '-s', 'admin'], { env: { ...env, DFS_TOKEN: maker.token } })).json();
    const upward = await dfs(['token', 'revoke', maker.id], { env: { ...env, DFS_TOKEN: made.token } });
    expect(upward.code).toBe(1);
    expect(upward.stderr).toBe('dfs: a token cannot revoke the token that created it, nor any above that one\n');
    const own = await dfs(['token', 'revoke', made.id], { env: { ...env, DFS_TOKEN: made.token } });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stderr).toBe('dfs: the token dfs is using was among them: its requests are refused from now on (dfs login with another)\n');
    const self = (await dfs(['--json', 'token', 'create', 'self', '-s', 'admin'])).json();
    const json = await dfs(['--json', 'token', 'revoke', self.id], { env: { ...env, DFS_TOKEN: self.token } });
    expect(json.json()).toEqual({ revoked: self.id, inUseRevoked: true });
    expect(json.stderr).toBe('');
  });

  it('escapes the control characters of names in its lines, and leaves --json as JSON has it', async () => {
    await mkdir(local('esc'));
    for (const name of ['red\u001b[31mX', 'two\nlines', 'c1\u0085.txt']) await writeFile(local('esc', name), 'x');
    const put = await dfs(['put', '-r', 'esc', 'esc/']);
    expect(put.code).toBe(1);
    const reason = 'path must not contain control characters';
    expect(put.stderr.split('\n').sort()).toEqual(['', `dfs: $'esc/c1\\u0085.txt': ${reason}`, `dfs: $'esc/red\\x1b[31mX': ${reason}`, `dfs: $'esc/two\\x0alines': ${reason}`]);

    await writeFile(local('esc-ok.txt'), 'ok');
    expect((await dfs(['put', 'esc-ok.txt', 'esc/ok.txt'])).code).toBe(0);
    const get = await dfs(['get', 'esc/ok.txt', "it's\u001b"]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(`downloaded esc/ok.txt -> $'it\\'s\\x1b'\n`);
    const json = await dfs(['--json', 'get', '-f', 'esc/ok.txt', "it's\u001b"]);
    expect(json.json()[0].local).toBe("it's\u001b");
    expect(await readFile(local("it's\u001b"), 'utf8')).toBe('ok');
  });

  it('lets no value a server sends reach the terminal raw: times, versions, links, and names with bidirectional controls', async () => {
    await writeFile(local('lied.txt'), 'lied');
    expect((await dfs(['put', 'lied.txt', 'lies/lied.txt'])).code).toBe(0);
    expect((await dfs(['put', 'lied.txt', 'lies/again.txt'])).code).toBe(0);
    const CLEAR = '\u001b[2J';
    // A server that lies (or was taken over) puts escape sequences wherever it answers a string.
    const liar = await startApiProxy(
      server.url,
      () => undefined,
      (_path, answer) =>
        JSON.parse(JSON.stringify(answer), (key, value) => {
          if (key === 'path' && typeof value === 'string') return value.replace('again', 'invoice\u202Efdp.exe');
          // At both ends: a time is printed cut to its first 19 characters.
          return ['version', 'updatedAt', 'createdAt', 'url', 'expiresAt'].includes(key) && typeof value === 'string' ? `${CLEAR}${value}${CLEAR}` : value;
        }),
    );
    try {
      const viaLiar = { env: { ...env, DFS_ENDPOINT: liar.url } };
      for (const args of [['ls', '-l', 'lies'], ['versions', 'lies/lied.txt'], ['share', 'lies/lied.txt'], ['stat', 'lies/lied.txt']]) {
        const run = await dfs(args, viaLiar);
        const printed = run.stdout + run.stderr;
        expect(printed, args.join(' ')).not.toContain('\u001b');
        expect(printed, args.join(' ')).toContain('\\x1b[2J');
      }
      const listed = (await dfs(['ls', 'lies'], viaLiar)).stdout;
      expect(listed).toContain("$'lies/invoice\\u202efdp.exe.txt'");
      expect(listed).not.toContain('\u202e');
    } finally {
      await liar.close();
    }
  });
});

describe('exit codes and errors', () => {
  it('exits 2 on usage errors and 1 on failures, with one line naming the file', async () => {
    expect((await dfs(['frobnicate'])).code).toBe(2);
    expect((await dfs(['put'])).code).toBe(2);
    expect((await dfs(['share', 'x', '--expires', 'soon'])).code).toBe(2);
    expect((await dfs(['put', 'tree'])).code).toBe(2);
    const missing = await dfs(['put', 'no-such-file.txt']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('dfs: no-such-file.txt: no such file or directory');
    const absent = await dfs(['get', 'nothing/here.txt']);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/nothing\/here\.txt/);
    // The top level is named as the user wrote it, not as an empty name.
    const top = await dfs(['get', '/']);
    expect(top.code).toBe(1);
    expect(top.stderr.trim()).toBe('dfs: /: is the top level, a folder (use -r to download everything)');

    // A wrong name among others fails alone, as with cp: the others are transferred.
    await writeFile(local('present.txt'), 'present');
    const some = await dfs(['--json', 'put', 'present.txt', 'no-such-file.txt', 'partly/']);
    expect(some.code).toBe(1);
    expect(some.json().map((f: { path: string }) => f.path)).toEqual(['partly/present.txt']);
    expect(some.stderr.trim()).toBe('dfs: no-such-file.txt: no such file or directory');
    await mkdir(local('partly-back'));
    const back = await dfs(['--json', 'get', 'partly/absent.txt', 'partly/present.txt', 'partly-back']);
    expect(back.code).toBe(1);
    expect(back.json().map((f: { remote: string }) => f.remote)).toEqual(['partly/present.txt']);
    expect(back.stderr.trim()).toBe('dfs: partly/absent.txt: no such file (use -r for a folder)');
    expect(await readFile(local('partly-back', 'present.txt'), 'utf8')).toBe('present');
  });

  it('exits 2, in its own words, on a lifetime or a token name the API refuses, and on a command group without its command', async () => {
    const long = await dfs(['share', 'x', '--expires', '99999d']);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('at most 365d');
    expect(long.stderr).not.toContain('expiresIn');
    expect((await dfs(['token', 'create', 'long', '-s', 'read', '-e', '4000d'])).code).toBe(2);
    for (const name of ['', ' ', 'n'.repeat(201)]) {
      const refused = await dfs(['token', 'create', name, '-s', 'read']);
      expect(refused.code, JSON.stringify(name)).toBe(2);
      expect(refused.stderr).toMatch(/needs a name to tell it by|at most 200 characters/);
      expect(refused.stderr).not.toContain('Too small');
    }
    const batch = await dfs(['put', '--batch', '999999', 'x', 'y/']);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain('at most 1000, what one API request takes');
    const noId = await dfs(['token', 'revoke', '']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toBe('dfs: name the id of the token to revoke (dfs token list shows them)\n');
    const group = await dfs(['token']);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('Usage: dfs token');
    for (const args of [['token', '--help'], ['help', 'token'], ['help']]) expect((await dfs(args)).code, args.join(' ')).toBe(0);
  });

  it('takes a trailing "/" for a folder: rm and mv refuse a file named so, and touch nothing', async () => {
    await writeFile(local('slash.txt'), 'slash');
    expect((await dfs(['put', 'slash.txt', 'slash/f'])).code).toBe(0);
    for (const args of [['rm', 'slash/f/'], ['rm', '-r', 'slash/f/'], ['mv', 'slash/f/', 'slash/g']]) {
      const refused = await dfs(args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toBe('dfs: slash/f/: no such folder (slash/f is a file)\n');
    }
    expect((await dfs(['--json', 'ls', 'slash'])).json().files.map((f: { path: string }) => f.path)).toEqual(['slash/f']);
    const file = await dfs(['stat', 'slash/f/']);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe('dfs: slash/f/: a file path cannot end in "/"\n');
    // A folder named so is still a folder.
    expect((await dfs(['mv', 'slash/', 'slashed/'])).code).toBe(0);
    expect((await dfs(['--json', 'rm', '-r', 'slashed/slash/'])).json()).toEqual({ deleted: ['slashed/slash/'] });
  });

  it('says it needs Node 24 when run on an older one, instead of failing on an API it lacks', async () => {
    // An installed dfs runs on the node found on PATH; this one is told it is Node 22.
    const older = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"22.1.0"})';
    const { code, stdout, stderr } = await dfs(['--version'], { nodeArgs: ['--import', older] });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(`dfs: needs Node 24 or later; this is Node 22.1.0 (${process.execPath})`);
  });

  it('names the one file the API refuses on a rerun too, and still skips what is stored', async () => {
    await mkdir(local('odd', 'bad\u0001folder'), { recursive: true });
    await mkdir(local('odd', 'good'));
    await writeFile(local('odd', 'good', 'g.txt'), 'good');
    await writeFile(local('odd', 'bad\u0001folder', 'b.txt'), 'bad');
    const refused = `dfs: $'${join('odd', 'bad\\x01folder', 'b.txt')}': path must not contain control characters`;
    const first = await dfs(['put', '-r', 'odd', 'odd/']);
    expect(first.stdout.trim()).toBe('uploaded odd/odd/good/g.txt');
    expect(first.stderr.trim()).toBe(refused);
    // Looking for what is stored lists each folder: the refused one holds nothing, it stops nothing.
    const again = await dfs(['put', '-r', 'odd', 'odd/']);
    expect(again.code).toBe(1);
    expect(again.stdout.trim()).toBe('unchanged odd/odd/good/g.txt');
    expect(again.stderr.trim()).toBe(refused);
  });

  it('refuses what would name another file or nothing, before anything is sent', async () => {
    await writeFile(local('dots.txt'), 'dots');
    expect((await dfs(['put', 'dots.txt', 'dots/one.txt'])).code).toBe(0);
    // A URL parser would resolve these into dots/one.txt: usage errors, said before anything is sent.
    for (const args of [['rm', 'zzz/../dots/one.txt'], ['stat', './dots/one.txt'], ['versions', 'dots/./one.txt'], ['put', 'dots.txt', '../x'], ['put', 'dots.txt', '.'], ['get', 'dots/../dots/one.txt']]) {
      const refused = await dfs(args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toBe(`dfs: ${args[args.length - 1]}: a remote path has no "." or ".." names (the top level is "/")\n`);
    }
    const notFiles = { 'dots/one.txt/': 'dots/one.txt/: a file path cannot end in "/"', 'dots//one.txt': 'dots//one.txt: a file path has no empty names ("//")', '/': '"/" is the top level: name a file' };
    for (const [path, said] of Object.entries(notFiles)) {
      const refused = await dfs(['stat', path]);
      expect(refused.code, path).toBe(2);
      expect(refused.stderr).toBe(`dfs: ${said}\n`);
    }
    const top = await dfs(['rm', '-r', '/']);
    expect(top.code).toBe(1);
    expect(top.stderr).toContain('not the top level');
    expect((await dfs(['stat', 'dots/one.txt'])).code).toBe(0);

    expect((await dfs(['share', 'dots/one.txt', '--expires', '0'])).code).toBe(2);
    expect((await dfs(['share', 'dots/one.txt', '-e', '0d'])).code).toBe(2);
    const dry = await dfs(['get', '-n', 'dots/one.txt', '-']);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toBe('');
  });

  it('moves and copies into a folder named with a trailing "/", and refuses part sizes S3 does not take', async () => {
    await writeFile(local('into.txt'), 'into');
    expect((await dfs(['put', 'into.txt', 'into/a.txt'])).code).toBe(0);
    const copied = await dfs(['--json', 'cp', 'into/a.txt', 'into/copies/']);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.json().path).toBe('into/copies/a.txt');
    expect((await dfs(['mv', 'into/copies', 'into/moved/'])).code).toBe(0);
    expect((await dfs(['--json', 'stat', 'into/moved/copies/a.txt'])).json().size).toBe(4);
    // A folder there already is one to go into without the "/" too, as mv and cp do: never merged
    // unless -T says so.
    expect((await dfs(['put', 'into.txt', 'into/b.txt'])).code).toBe(0);
    expect((await dfs(['mv', 'into/b.txt', 'into/moved'])).stdout).toBe('moved 1 file: into/b.txt -> into/moved/b.txt\n');
    expect((await dfs(['put', 'into.txt', 'into/other/c.txt'])).code).toBe(0);
    expect((await dfs(['mv', 'into/other', 'into/moved'])).code).toBe(0);
    expect((await dfs(['--json', 'ls', '-r', 'into/moved'])).json().files.map((f: { path: string }) => f.path)).toEqual([
      'into/moved/b.txt',
      'into/moved/copies/a.txt',
      'into/moved/other/c.txt',
    ]);
    expect((await dfs(['put', 'into.txt', 'into/again/other/d.txt'])).code).toBe(0);
    const merging = await dfs(['mv', 'into/again/other', 'into/moved']);
    expect(merging.code).toBe(1);
    expect(merging.stderr).toBe('dfs: into/moved: into/moved/other is a folder holding files already: dfs mv -T into/again/other into/moved/other merges into it\n');
    expect((await dfs(['mv', '-T', 'into/again/other', 'into/moved/other'])).code).toBe(0);
    expect((await dfs(['--json', 'ls', 'into/moved/other'])).json().files.map((f: { path: string }) => f.path)).toEqual(['into/moved/other/c.txt', 'into/moved/other/d.txt']);
    // -T names a file too, whatever is there.
    expect((await dfs(['cp', '-T', 'into/moved/b.txt', 'into/b-copy.txt'])).code).toBe(0);
    for (const size of ['3', '6000']) expect((await dfs(['put', 'into.txt', 'into/b.txt', '--part-size', size])).code).toBe(2);
  });

  it('says what is wrong at login: a refused token, an endpoint that is not dfs', async () => {
    const refused = await dfs(['login', '--endpoint', server.url, '--token', 'dfs_wrong'], { env: { ...env, XDG_CONFIG_HOME: join(work, 'login-refused') } });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`dfs: ${server.url} refused the token: check it (mistyped, revoked or expired)`);
    const foreign = createHttpServer((_, response) => response.writeHead(400, { 'content-type': 'application/xml' }).end('<Error><Code>InvalidRequest</Code></Error>'));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
      const notDfs = await dfs(['login', '--endpoint', url, '--token', 'dfs_x'], { env: { ...env, XDG_CONFIG_HOME: join(work, 'login-foreign') } });
      expect(notDfs.code).toBe(1);
      expect(notDfs.stderr.trim()).toBe(`dfs: ${url} answered HTTP 400 without a dfs error: is it the dfs API?`);
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });

  it('lists what is wrong with the configuration dfs serve is given, a problem a line', async () => {
    const serve = await dfs(['serve'], { env: { ...env, DFS_DATA_DIR: local('serve-data'), DFS_PORT: 'abc', DFS_KEEP_VERSIONS: '-1' } });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toBe('dfs: invalid configuration:\n  - DFS_PORT: must be a whole number\n  - DFS_KEEP_VERSIONS: must be a whole number\n');
  });

  it('says in one line that the API cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await dfs(['ls'], { env: { ...env, DFS_ENDPOINT: `http://127.0.0.1:${port}` } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`dfs: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('prints help with no arguments and no terminal, and saves a login with mode 0600', async () => {
    const help = await dfs([]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: dfs/);
    const loginEnv = { ...env, DFS_ENDPOINT: '', DFS_TOKEN: '' };
    delete (loginEnv as Record<string, string | undefined>).DFS_ENDPOINT;
    delete (loginEnv as Record<string, string | undefined>).DFS_TOKEN;
    expect((await dfs(['ls'], { env: loginEnv })).code).toBe(1);
    const login = await dfs(['login', '--endpoint', server.url, '--token', server.adminToken, '--profile', 'work'], { env: loginEnv });
    expect(login.code, login.stderr).toBe(0);
    const saved = join(work, 'config', 'dfs', 'config.json');
    expect((await stat(saved)).mode & 0o777).toBe(0o600);
    expect((await dfs(['--profile', 'work', '--json', 'whoami'], { env: loginEnv })).code).toBe(0);
    // The first profile saved is the default; a login that names none makes its own the default.
    expect(JSON.parse((await dfs(['--json', 'whoami'], { env: loginEnv })).stdout).scopes).toEqual(['admin']);
    const reader = JSON.parse((await dfs(['--json', 'token', 'create', 'plain-reader', '--scope', 'read'])).stdout);
    expect((await dfs(['login', '--endpoint', server.url, '--token', reader.token], { env: loginEnv })).code).toBe(0);
    expect(JSON.parse((await dfs(['--json', 'whoami'], { env: loginEnv })).stdout).name).toBe('plain-reader');
    expect(JSON.parse((await dfs(['-p', 'work', '--json', 'whoami'], { env: loginEnv })).stdout).scopes).toEqual(['admin']);
    expect(JSON.parse(await readFile(saved, 'utf8')).defaultProfile).toBe('default');
  });

  it('names a config file it cannot read, and never saves over it', async () => {
    const configHome = join(work, 'broken-config');
    const saved = join(configHome, 'dfs', 'config.json');
    await mkdir(join(configHome, 'dfs'), { recursive: true });
    const broken = '{"profiles": {"default": {"endpoint": "http://x", "token": "t"},}}';
    await writeFile(saved, broken);
    const brokenEnv = { ...env, XDG_CONFIG_HOME: configHome };
    delete (brokenEnv as Record<string, string | undefined>).DFS_ENDPOINT;
    delete (brokenEnv as Record<string, string | undefined>).DFS_TOKEN;
    const whoami = await dfs(['whoami'], { env: brokenEnv });
    expect(whoami.code).toBe(1);
    expect(whoami.stderr).toContain(`${saved} is not valid JSON`);
    const login = await dfs(['-p', 'other', 'login', '--endpoint', server.url, '--token', server.adminToken], { env: brokenEnv });
    expect(login.code).toBe(1);
    expect(await readFile(saved, 'utf8')).toBe(broken);
    // With both in the environment the file is not needed.
    expect((await dfs(['whoami'], { env: { ...env, XDG_CONFIG_HOME: configHome } })).code).toBe(0);
  });

  it('says in one line that standard output cannot be written (a full disk), without a stack trace', async () => {
    await writeFile(local('full.txt'), 'for a full disk');
    expect((await dfs(['put', 'full.txt', 'full/full.txt'])).code).toBe(0);
    const full = await open('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [DFS_BIN, 'get', 'full/full.txt', '-'], { cwd: work, env, stdio: ['ignore', full.fd, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(code).toBe(1);
      expect(stderr.trim()).toMatch(/^dfs: cannot write to standard output: .*ENOSPC/);
    } finally {
      await full.close();
    }
  });
});

describe('the menu', () => {
  it('uploads and lists through stdin', async () => {
    await writeFile(local('menu.txt'), 'from the menu');
    const run = await dfs(['menu'], { input: ['1', 'menu.txt', 'menu-folder/', '3', 'menu-folder', '7', ''].join('\n') });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/uploaded menu-folder\/menu\.txt/);
    expect(run.stdout).toMatch(/menu-folder\/menu\.txt/);
    expect((await new Api(server.url, server.adminToken).get('/v1/files/menu-folder/menu.txt')).status).toBe(200);
  });

  it('takes names starting with "-", and deletes only after a yes', async () => {
    await writeFile(local('-dash.txt'), 'dash');
    const upload = await dfs(['menu'], { input: ['1', '-dash.txt', 'menu-dash/', '7', ''].join('\n') });
    expect(upload.code, upload.stderr).toBe(0);
    expect(upload.stdout).toContain('uploaded menu-dash/-dash.txt');
    const api = new Api(server.url, server.adminToken);
    const kept = await dfs(['menu'], { input: ['4', 'menu-dash', 'n', '7', ''].join('\n') });
    expect(kept.stdout).toContain('cancelled');
    expect((await api.get('/v1/files/menu-dash/-dash.txt')).status).toBe(200);
    const deleted = await dfs(['menu'], { input: ['4', 'menu-dash', 'y', '7', ''].join('\n') });
    expect(deleted.stdout).toContain('deleted menu-dash');
    expect((await api.get('/v1/files/menu-dash/-dash.txt')).status).toBe(404);
  });
});

describe('an API blip while a put looks at its destination', () => {
  it('is tried again with a line saying so, and the put goes on', async () => {
    await mkdir(local('apiblip', 'sub'), { recursive: true });
    await writeFile(local('apiblip', 'a.txt'), 'a');
    await writeFile(local('apiblip', 'sub', 'b.txt'), 'b');
    let blips = 0;
    const spy = await startApiProxy(server.url, (path) => {
      if (!path.startsWith('/v1/files?') || blips++ % 2 === 1) return;
      return { status: 503, body: { error: { code: 'storage_unavailable', message: 'the index is restarting' } } };
    });
    const viaSpy = { env: { ...env, DFS_ENDPOINT: spy.url } };
    try {
      const tree = await dfs(['put', '-r', 'apiblip', 'apiblip-up/'], viaSpy);
      expect(tree.code, tree.stderr).toBe(0);
      expect(tree.stderr).toMatch(/^dfs: looking at the destination: the index is restarting; trying again \(2 of 5\)$/m);
      // One file to a name that might be a folder: the look at it is tried again too.
      const one = await dfs(['put', 'apiblip/a.txt', 'apiblip-up/one'], viaSpy);
      expect(one.code, one.stderr).toBe(0);
      expect(one.stderr).toMatch(/^dfs: apiblip-up\/one: the index is restarting; trying again \(2 of 5\)$/m);
    } finally {
      await spy.close();
    }
    const api = new Api(server.url, server.adminToken);
    expect(new TextDecoder().decode(await downloadBytes(api, 'apiblip-up/apiblip/sub/b.txt'))).toBe('b');
    expect(new TextDecoder().decode(await downloadBytes(api, 'apiblip-up/one'))).toBe('a');
  });
});

describe('an API blip during cp -r', () => {
  it('lists and copies again, and a copy whose answer was lost counts once', async () => {
    const api = new Api(server.url, server.adminToken);
    const bytes = new TextEncoder().encode('a');
    expect((await uploadBytes(api, 'cpblip/a.txt', bytes, { sha256: await sha256Hex(bytes) })).status).toBe(200);
    let listingBlipped = false;
    let copyLost = false;
    const spy = await startApiProxy(server.url, async (path) => {
      if (!listingBlipped && path.includes('limit=1000')) {
        listingBlipped = true;
        return { status: 503, body: { error: { code: 'storage_unavailable', message: 'the index is restarting' } } };
      }
      if (!copyLost && path === '/v1/copy') {
        // The copy commits, and its answer never reaches the CLI.
        copyLost = true;
        expect((await api.post('/v1/copy', { from: 'cpblip/a.txt', to: 'cpblip-copy/a.txt' })).status).toBe(201);
        return { status: 502, body: { error: { code: 'bad_gateway', message: 'the answer was lost' } } };
      }
    });
    try {
      const copied = await dfs(['--json', 'cp', '-r', 'cpblip', 'cpblip-copy'], { env: { ...env, DFS_ENDPOINT: spy.url } });
      expect(copied.code, copied.stderr).toBe(0);
      expect(copied.json().copied.map((f: { path: string }) => f.path)).toEqual(['cpblip-copy/a.txt']);
      expect(copied.stderr).toMatch(/^dfs: listing cpblip: the index is restarting; trying again \(2 of 5\)$/m);
      expect(copied.stderr).toMatch(/^dfs: cpblip\/a\.txt -> cpblip-copy\/a\.txt: the answer was lost; trying again \(2 of 5\)$/m);
    } finally {
      await spy.close();
    }
    expect(listingBlipped && copyLost).toBe(true);
    expect((await api.get('/v1/versions/cpblip-copy/a.txt')).body.versions).toHaveLength(1);
  });
});

describe('a store connection cut mid-transfer', () => {
  let proxied: TestServer;
  beforeAll(async () => {
    proxied = await startTestServer({ storeBehindProxy: true });
  });
  afterAll(async () => {
    await proxied?.close();
  });

  it('continues a download to standard output from the last byte written', async () => {
    const bytes = randomBytes(24 * MiB, 13);
    const uploaded = await uploadBytes(new Api(proxied.url, proxied.adminToken), 'cut/stream.bin', bytes, { sha256: await sha256Hex(bytes) });
    expect(uploaded.status).toBe(200);
    const { child, done } = start(['get', 'cut/stream.bin', '-'], { env: { ...env, DFS_ENDPOINT: proxied.url, DFS_TOKEN: proxied.adminToken } });
    let length = 0;
    // Read a few MiB, stop reading so the download stalls mid-body, then drop its connection.
    await new Promise<void>((resolve) => {
      let stalled = false;
      child.stdout.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length >= 4 * MiB && !stalled) {
          stalled = true;
          child.stdout.pause();
          resolve();
        }
      });
    });
    const proxy = proxied.storeProxy!;
    await proxy.cut();
    await proxy.restore();
    const connectionsAtCut = proxy.connections;
    child.stdout.resume();
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^dfs: cut\/stream\.bin: .+; trying again \(2 of 5\)$/m);
    expect(await sameBytes(result.bytes, bytes)).toBe('same');
    // The rest came over a new connection: the cut did break the first one mid-body.
    expect(proxy.connections).toBeGreaterThan(connectionsAtCut);
  });

  it('leaves no side file holding nothing when stopped, and a rerun leaves none at all', async () => {
    const api = new Api(proxied.url, proxied.adminToken);
    const files = [0, 1, 2].map((i) => ({ name: `sides/big${i}.bin`, bytes: randomBytes(20 * MiB, 40 + i) }));
    for (const { name, bytes } of files) expect((await uploadBytes(api, name, bytes, { sha256: await sha256Hex(bytes) })).status).toBe(200);
    const proxy = proxied.storeProxy!;
    const viaProxied = { env: { ...env, DFS_ENDPOINT: proxied.url, DFS_TOKEN: proxied.adminToken } };
    const sideFiles = async () => (await readdir(local('sides-down', 'sides')).catch(() => [] as string[])).filter((name) => name.includes('.dfs-part'));
    // The store takes the connections and never answers: each file has its side file, no byte.
    await proxy.hang();
    try {
      const interrupted = start(['get', '-r', 'sides', 'sides-down'], viaProxied);
      await expect.poll(async () => (await sideFiles()).filter((name) => name.endsWith('.dfs-part')).length, { timeout: 10_000 }).toBe(3);
      interrupted.child.kill('SIGINT');
      expect((await interrupted.done).code).toBe(130);
    } finally {
      await proxy.restore();
    }
    expect(await sideFiles()).toEqual([]);
    const rerun = await dfs(['get', '-r', 'sides', 'sides-down'], viaProxied);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect((await readdir(local('sides-down', 'sides'))).sort()).toEqual(['big0.bin', 'big1.bin', 'big2.bin']);
  });

  it('says which file it tries again and why while the store is down, and finishes once it is back', async () => {
    await writeFile(local('retry.txt'), 'sent once the store is back');
    const proxy = proxied.storeProxy!;
    await proxy.cut();
    const { child, done } = start(['put', 'retry.txt', 'cut/retry.txt'], { env: { ...env, DFS_ENDPOINT: proxied.url, DFS_TOKEN: proxied.adminToken } });
    let stderr = '';
    const told = new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()).includes('trying again') && resolve()));
    await Promise.race([told, done]);
    await proxy.restore();
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^dfs: retry\.txt: cannot reach the store: connect ECONNREFUSED .+; trying again \(2 of 5\)$/m);
    expect(Buffer.from(await downloadBytes(new Api(proxied.url, proxied.adminToken), 'cut/retry.txt')).toString()).toBe('sent once the store is back');
  });

  it('names a refused connection to the store for a big file too, not the request it cut short', async () => {
    const bytes = randomBytes(20 * MiB, 15);
    await writeFile(local('retry-big.bin'), bytes);
    const proxy = proxied.storeProxy!;
    // Cut once the upload exists (the API reaches the store through the same proxy).
    let cut = false;
    const spy = await startApiProxy(proxied.url, async (path) => {
      if (!cut && /^\/v1\/uploads\/[^/]+\/parts/.test(path)) {
        cut = true;
        await proxy.cut();
      }
    });
    const { child, done } = start(['put', 'retry-big.bin', 'cut/retry-big.bin', '--part-size', '5'], { env: { ...env, DFS_ENDPOINT: spy.url, DFS_TOKEN: proxied.adminToken } });
    let stderr = '';
    const told = new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()).includes('trying again') && resolve()));
    await Promise.race([told, done]);
    await proxy.restore();
    const result = await done;
    await spy.close();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^dfs: retry-big\.bin: cannot reach the store: connect ECONNREFUSED .+; trying again \(2 of 5\)$/m);
    expect(result.stderr).not.toContain('closed while sending');
    expect(await sameBytes(await downloadBytes(new Api(proxied.url, proxied.adminToken), 'cut/retry-big.bin'), bytes)).toBe('same');
  });
});

describe('a local file that changes while its parts go', () => {
  /** Runs `put` of a 90 MiB file in 5 MiB parts, doing `change` to it as the first part's URL is asked for. */
  async function putChanging(name: string, change: (path: string) => Promise<void>) {
    await writeFile(local(name), randomBytes(90 * MiB, 16));
    let changed = false;
    const spy = await startApiProxy(server.url, async (path) => {
      if (!changed && /^\/v1\/uploads\/[^/]+\/parts/.test(path)) {
        changed = true;
        await change(local(name));
      }
    });
    try {
      const result = await dfs(['put', name, `changing/${name}`, '--part-size', '5', '--parts', '1'], { env: { ...env, DFS_ENDPOINT: spy.url } });
      expect(changed).toBe(true);
      return result;
    } finally {
      await spy.close();
    }
  }

  it('commits nothing when bytes change in place: the SHA-256 could not match what was stored', async () => {
    // In the last parts, whose MD5s are taken (with the bytes sent) after the SHA-256 pass may
    // have read the old ones: the case that committed a digest no download could match.
    const result = await putChanging('in-place.bin', async (path) => {
      const file = await open(path, 'r+');
      await file.write(randomBytes(MiB, 18), 0, MiB, 87 * MiB);
      await file.close();
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('dfs: in-place.bin: changed while being uploaded: run the command again to send it as it is now');
    expect((await new Api(server.url, server.adminToken).get('/v1/files/changing/in-place.bin')).status).toBe(404);
  });

  it('says the file changed, not that the store refused it, when a part is sent with other bytes than its MD5 was taken of', async () => {
    const result = await putChanging('first-part.bin', async (path) => {
      const file = await open(path, 'r+');
      await file.write(randomBytes(MiB, 19), 0, MiB, 0);
      await file.close();
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('dfs: first-part.bin: changed while being uploaded: run the command again to send it as it is now');
    expect((await new Api(server.url, server.adminToken).get('/v1/files/changing/first-part.bin')).status).toBe(404);
  });

  it('fails at once, naming the file, when it shrinks (the store is not left waiting, nor blamed)', async () => {
    const result = await putChanging('shrinks.bin', (path) => truncate(path, MiB));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dfs: shrinks\.bin: .*shorter than expected/m);
    expect(result.stderr).not.toContain('trying again');
    expect((await new Api(server.url, server.adminToken).get('/v1/files/changing/shrinks.bin')).status).toBe(404);
  });
});
