/**
 * A transfer of many files while the store is down stops once the store has failed every
 * request for DFS_OUTAGE_LIMIT, instead of spending each file's own tries one after another
 * (300 files at 8 in flight would take 5-9 minutes to fail one by one). What it sent before is
 * committed, nothing half-done is, and the same command run once the store is back finishes.
 * A store that fails only while a batch is committed costs a retry of the commit, not the files.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, randomBytes, sameBytes } from '../support/api.ts';
import { startApiProxy, startCli, type CliHarness } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
const SMALL_FILES = 300;
let cli: CliHarness;
let proxied: TestServer;
let env: Record<string, string>;
let api: Api;

beforeAll(async () => {
  cli = await startCli('outage');
  proxied = await startTestServer({ storeBehindProxy: true });
  env = { ...cli.env, DFS_ENDPOINT: proxied.url, DFS_TOKEN: proxied.adminToken, DFS_OUTAGE_LIMIT: '2' };
  api = new Api(proxied.url, proxied.adminToken);
});
afterAll(async () => {
  await proxied?.close();
  await cli?.close();
});

const local = (...parts: string[]) => join(cli.work, ...parts);
const smallName = (i: number) => `f${String(i).padStart(3, '0')}.txt`;
const summary = (count: number) => new RegExp(`^dfs: stopped with ${count} files not transferred: the store failed every request for 2 s \\(last: .*ECONNREFUSED.*\\); run the same command again to continue$`, 'm');
/** Lines of stderr that report a file's failure (retry notices say "trying again"). */
const failureLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('dfs: ') && !line.includes('trying again'));

describe('the store down for a whole put -r', () => {
  it('stops with one line for the files left, commits nothing, and the rerun sends them all', async () => {
    await mkdir(local('up'), { recursive: true });
    for (let i = 0; i < SMALL_FILES; i++) await writeFile(local('up', smallName(i)), `small file ${i}\n`);
    const big = randomBytes(20 * MiB, 41);
    await writeFile(local('up', 'big.bin'), big);

    await proxied.storeProxy!.cut();
    const stopped = await cli.dfs(['put', '-r', 'up', 'outage/', '-j', '8', '--batch', '20', '--part-size', '5'], { env });
    await proxied.storeProxy!.restore();

    expect(stopped.code, stopped.stderr).toBe(1);
    expect(failureLines(stopped.stderr)).toHaveLength(1);
    expect(stopped.stderr).toMatch(summary(SMALL_FILES + 1));
    expect((await api.get('/v1/files?prefix=outage/&recursive=true')).body.files).toEqual([]);

    const rerun = await cli.dfs(['put', '-r', 'up', 'outage/', '-j', '8', '--batch', '20', '--part-size', '5', '--json'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toHaveLength(SMALL_FILES + 1);
    expect(await sameBytes(await downloadBytes(api, 'outage/up/big.bin'), big)).toBe('same');
    expect(Buffer.from(await downloadBytes(api, `outage/up/${smallName(SMALL_FILES - 1)}`)).toString()).toBe(`small file ${SMALL_FILES - 1}\n`);
  });
});

describe('the store going down as a batch is committed', () => {
  it('counts the batch sent but not committed among the files left, and the rerun commits them', async () => {
    await mkdir(local('late'), { recursive: true });
    for (let i = 0; i < SMALL_FILES; i++) await writeFile(local('late', smallName(i)), `late file ${i}\n`);
    // The first commit finds the store gone: its PUTs were taken, its check of them cannot be made.
    let cut = false;
    const spy = await startApiProxy(proxied.url, async (path) => {
      if (!cut && path.startsWith('/v1/batch/complete')) {
        cut = true;
        await proxied.storeProxy!.cut();
      }
    });
    try {
      const stopped = await cli.dfs(['put', '-r', 'late', 'outage-late/', '-j', '8', '--batch', '20'], { env: { ...env, DFS_ENDPOINT: spy.url } });
      await proxied.storeProxy!.restore();
      expect(cut).toBe(true);
      expect(stopped.code, stopped.stderr).toBe(1);
      expect(failureLines(stopped.stderr)).toHaveLength(1);
      expect(stopped.stderr).toMatch(summary(SMALL_FILES));
      expect((await api.get('/v1/files?prefix=outage-late/&recursive=true')).body.files).toEqual([]);
    } finally {
      await proxied.storeProxy!.restore();
      await spy.close();
    }
    const rerun = await cli.dfs(['put', '-r', 'late', 'outage-late/', '--json'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toHaveLength(SMALL_FILES);
  });
});

describe('a store blip as a batch is committed', () => {
  it('commits the batch again once the store is back', async () => {
    await mkdir(local('blip'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(local('blip', smallName(i)), `blip file ${i}\n`);
    let cut = false;
    const spy = await startApiProxy(proxied.url, async (path) => {
      if (!cut && path.startsWith('/v1/batch/complete')) {
        cut = true;
        await proxied.storeProxy!.cut();
        setTimeout(() => void proxied.storeProxy!.restore(), 300);
      }
    });
    try {
      const result = await cli.dfs(['put', '-r', 'blip', 'outage-blip/', '--batch', '40', '--json'], { env: { ...env, DFS_ENDPOINT: spy.url, DFS_OUTAGE_LIMIT: '60' } });
      expect(cut).toBe(true);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^dfs: a batch of small files: the object store is unavailable \(ListObjects failed\); trying again \(2 of 5\)$/m);
      expect(result.json()).toHaveLength(40);
      expect((await api.get('/v1/files?prefix=outage-blip/&recursive=true')).body.files).toHaveLength(40);
    } finally {
      await proxied.storeProxy!.restore();
      await spy.close();
    }
  });
});

describe('the store down for a whole get -r', () => {
  it('stops with one line for the files left, writes none of them, and the rerun fetches them all', async () => {
    await mkdir(local('down'), { recursive: true });
    for (let i = 0; i < SMALL_FILES; i++) await writeFile(local('down', smallName(i)), `remote file ${i}\n`);
    const big = randomBytes(20 * MiB, 42);
    await writeFile(local('down', 'big.bin'), big);
    const sent = await cli.dfs(['put', '-r', 'down', 'stored/'], { env });
    expect(sent.code, sent.stderr).toBe(0);

    await proxied.storeProxy!.cut();
    const stopped = await cli.dfs(['get', '-r', 'stored/down', 'fetched', '-j', '8', '--batch', '20'], { env });
    await proxied.storeProxy!.restore();

    expect(stopped.code, stopped.stderr).toBe(1);
    expect(failureLines(stopped.stderr)).toHaveLength(1);
    expect(stopped.stderr).toMatch(summary(SMALL_FILES + 1));
    await expect(readFile(local('fetched', 'down', smallName(0)))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(local('fetched', 'down', 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });

    const rerun = await cli.dfs(['get', '-r', 'stored/down', 'fetched', '-j', '8', '--batch', '20'], { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await sameBytes(new Uint8Array(await readFile(local('fetched', 'down', 'big.bin'))), big)).toBe('same');
    expect(await readFile(local('fetched', 'down', smallName(SMALL_FILES - 1)), 'utf8')).toBe(`remote file ${SMALL_FILES - 1}\n`);
  });
});

describe('the API failing while a big file\'s parts are signed', () => {
  it('ends with the file\'s own tries: the store is not what fails, and no outage is declared', async () => {
    await writeFile(local('api-down.bin'), randomBytes(20 * MiB, 43));
    const spy = await startApiProxy(proxied.url, (path) =>
      /^\/v1\/uploads\/[^/]+\/parts/.test(path) ? { status: 503, body: { error: { code: 'storage_unavailable', message: 'the index is restarting' } } } : undefined,
    );
    try {
      const result = await cli.dfs(['put', 'api-down.bin', 'outage-api/', '--part-size', '5'], { env: { ...env, DFS_ENDPOINT: spy.url, DFS_OUTAGE_LIMIT: '60' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^dfs: api-down\.bin: the index is restarting; trying again \(5 of 5\)$/m);
      expect(failureLines(result.stderr)).toEqual(['dfs: api-down.bin: the index is restarting']);
      expect(result.stderr).not.toContain('the store fails every request');
    } finally {
      await spy.close();
    }
  });
});

describe('DFS_OUTAGE_LIMIT', () => {
  it('is a usage error when it is not a duration, before anything is sent', async () => {
    await writeFile(local('limit.txt'), 'not sent');
    const result = await cli.dfs(['put', 'limit.txt', 'outage-limit/'], { env: { ...env, DFS_OUTAGE_LIMIT: 'soon' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('dfs: DFS_OUTAGE_LIMIT="soon": use seconds or a number with s, m, h or d (e.g. 7d)\n');
    expect((await api.get('/v1/files/outage-limit/limit.txt')).status).toBe(404);
  });
});
