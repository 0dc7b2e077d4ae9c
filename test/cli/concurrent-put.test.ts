/**
 * The real `dfs` binary put twice at the same moment (a cron job overlapping itself): the two
 * runs must share one upload and commit one version, and a lock on the choice of that upload
 * left by a killed run must not stop the next.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MULTIPART_THRESHOLD } from '../../src/client/upload.ts';
import { Api, randomBytes, sha256Hex } from '../support/api.ts';
import { startCli, type CliHarness } from '../support/cli.ts';

/** The smallest file that goes multipart, and so resumes; in 5 MiB parts (the least S3 takes): 4 of them. */
const SIZE = DEFAULT_MULTIPART_THRESHOLD + 1;
const PART_SIZE_MIB = '5';
const ROUNDS = 5;
let cli: CliHarness;
let api: Api;

beforeAll(async () => {
  cli = await startCli('concurrent-put');
  api = new Api(cli.server.url, cli.server.adminToken);
});
afterAll(() => cli?.close());

const uploadsDir = () => join(cli.work, 'cache', 'dfs', 'uploads');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const versionsOf = async (path: string) => ((await api.get(`/v1/versions/${path}`)).body.versions ?? []) as unknown[];

/** A pid no process has: that of one that ran and exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** The resume state a killed put of `file` left, by its name in the cache (the lock's name is beside it). */
async function killedPut(file: string, remote: string): Promise<string> {
  const killed = cli.start(['put', file, remote, '--part-size', PART_SIZE_MIB, '--parts', '1']);
  let saved: string | undefined;
  for (let i = 0; i < 1000 && !saved; i++) {
    await sleep(10);
    saved = (await readdir(uploadsDir()).catch(() => [])).find((name) => name.endsWith('.json'));
  }
  killed.child.kill('SIGKILL');
  await killed.done;
  expect(saved).toBeDefined();
  return join(uploadsDir(), saved!.slice(0, -'.json'.length));
}

describe('two puts of one file at the same moment', () => {
  it('share one upload: one version, and both report it', async () => {
    const bytes = randomBytes(SIZE, 31);
    await writeFile(join(cli.work, 'big.bin'), bytes);
    const sha256 = await sha256Hex(bytes);
    for (let round = 1; round <= ROUNDS; round++) {
      const remote = `twins/round-${round}.bin`;
      const args = ['--json', 'put', 'big.bin', remote, '--part-size', PART_SIZE_MIB];
      const [first, second] = await Promise.all([cli.dfs(args), cli.dfs(args)]);
      expect(first.code, first.stderr).toBe(0);
      expect(second.code, second.stderr).toBe(0);
      expect(await versionsOf(remote), `round ${round}`).toHaveLength(1);
      expect(first.json()[0].sha256).toBe(sha256);
      expect(second.json()[0].version).toBe(first.json()[0].version);
    }
  });
});

describe('the lock on choosing the upload to resume', () => {
  it('is taken over from a run killed while holding it', async () => {
    const bytes = randomBytes(SIZE, 32);
    await writeFile(join(cli.work, 'dead.bin'), bytes);
    const state = await killedPut('dead.bin', 'locks/dead.bin');
    const { uploadId } = JSON.parse(await readFile(`${state}.json`, 'utf8'));
    await writeFile(`${state}.lock`, String(await deadPid()));

    const rerun = await cli.dfs(['--json', 'put', 'dead.bin', 'locks/dead.bin', '--part-size', PART_SIZE_MIB]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()[0].sha256).toBe(await sha256Hex(bytes));
    // It resumed the killed run's upload: the lock was the holder's, not a reason to start over.
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.state).toBe('completed');
    expect(await readdir(uploadsDir())).toEqual([]);
  });

  it('is taken over when taken before the machine last started, whatever runs under its pid now', async () => {
    const bytes = randomBytes(SIZE, 34);
    await writeFile(join(cli.work, 'rebooted.bin'), bytes);
    const state = await killedPut('rebooted.bin', 'locks/rebooted.bin');
    // This very process: running, as a reused pid would be.
    await writeFile(`${state}.lock`, String(process.pid));
    const beforeBoot = new Date(Date.now() - uptime() * 1000 - 60_000);
    await utimes(`${state}.lock`, beforeBoot, beforeBoot);

    const rerun = await cli.dfs(['--json', 'put', 'rebooted.bin', 'locks/rebooted.bin', '--part-size', PART_SIZE_MIB]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()[0].sha256).toBe(await sha256Hex(bytes));
    expect(await readdir(uploadsDir())).toEqual([]);
  });

  it('is waited for while its holder runs', async () => {
    const bytes = randomBytes(SIZE, 33);
    await writeFile(join(cli.work, 'held.bin'), bytes);
    const state = await killedPut('held.bin', 'locks/held.bin');
    const { uploadId } = JSON.parse(await readFile(`${state}.json`, 'utf8'));
    const uploadState = async () => (await api.get(`/v1/uploads/${uploadId}`)).body;
    const before = await uploadState();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await writeFile(`${state}.lock`, String(holder.pid));
      const rerun = cli.start(['--json', 'put', 'held.bin', 'locks/held.bin', '--part-size', PART_SIZE_MIB]);
      let exited = false;
      void rerun.done.then(() => (exited = true));
      await sleep(1500);
      expect(exited).toBe(false);
      expect(await versionsOf('locks/held.bin')).toHaveLength(0);
      // Not one part sent meanwhile: a run past the lock would have resumed this upload at once.
      expect(await uploadState()).toEqual(before);

      // Killed while holding it: its lock, naming a pid gone, is taken over.
      holder.kill('SIGKILL');
      const done = await rerun.done;
      expect(done.code, done.stderr).toBe(0);
      expect(done.json()[0].sha256).toBe(await sha256Hex(bytes));
      expect((await uploadState()).state).toBe('completed');
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
