/**
 * The real `dfs` binary resuming a put whose file changed in between while keeping its size and
 * mtime (cp -p, rsync -t, tar, a disk image rewritten in place): the resume key cannot tell, so
 * the parts the store holds must be checked against the local bytes before they are kept.
 */
import { open, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, randomBytes, sameBytes, sha256Hex } from '../support/api.ts';
import { startCli, type CliHarness } from '../support/cli.ts';
import type { TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
const PART_SIZE = 6 * MiB;
const PARTS = 10;
let cli: CliHarness;
let server: TestServer;
let work: string;
let api: Api;

beforeAll(async () => {
  cli = await startCli('resume-integrity');
  ({ server, work } = cli);
  api = new Api(server.url, server.adminToken);
});
afterAll(() => cli?.close());

/** Starts the binary without blocking (the server under test lives in this process). */
const start = (args: string[]) => cli.start(args);

const local = (name: string) => join(work, name);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const heldParts = async (uploadId: string): Promise<number[]> =>
  (await api.get(`/v1/uploads/${uploadId}`)).body.parts.map((p: { partNumber: number }) => p.partNumber);

/** The upload a running put saved for resuming, once it has one. */
async function savedUploadId(): Promise<string | null> {
  const uploads = join(work, 'cache', 'dfs', 'uploads');
  const saved = (await readdir(uploads).catch(() => [])).filter((name) => name.endsWith('.json'));
  return saved.length === 0 ? null : JSON.parse(await readFile(join(uploads, saved[0]!), 'utf8')).uploadId;
}

/**
 * The parts held once nothing more arrives: a part already in the kernel's socket buffer at the
 * kill may still reach the store afterwards, and the rerun's counts are exact only against the
 * final set.
 */
async function settledParts(uploadId: string): Promise<number[]> {
  let last = '';
  for (let steady = 0; steady < 5; ) {
    await sleep(100);
    const now = (await heldParts(uploadId)).join(',');
    steady = now === last ? steady + 1 : 0;
    last = now;
  }
  return last.split(',').filter(Boolean).map(Number);
}

describe('resume after the file changed under the same size and mtime', () => {
  it('sends a held part again when its local bytes differ, and keeps the unchanged ones', async () => {
    const bytes = randomBytes(PARTS * PART_SIZE, 21);
    const file = local('image.bin');
    await writeFile(file, bytes);
    // Whole seconds, so setting the time back restores it exactly (the resume key holds it).
    const mtime = 1_700_000_000;
    await utimes(file, mtime, mtime);
    const args = ['--json', 'put', 'image.bin', 'images/image.bin', '--part-size', String(PART_SIZE / MiB)];

    const killed = start([...args, '--parts', '1']);
    let uploadId: string | null = null;
    for (let i = 0; i < 600 && (uploadId === null || (await heldParts(uploadId)).length < 2); i++) {
      await sleep(10);
      uploadId ??= await savedUploadId();
    }
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(uploadId).not.toBeNull();
    const held = await settledParts(uploadId!);
    expect(held.length).toBeGreaterThanOrEqual(2);
    expect(held.length).toBeLessThan(PARTS);

    // New bytes inside the first held part: same size, and the mtime set back.
    const changed = held[0]!;
    const patch = randomBytes(MiB, 22);
    const at = (changed - 1) * PART_SIZE + MiB;
    const handle = await open(file, 'r+');
    await handle.write(patch, 0, patch.length, at);
    await handle.close();
    await utimes(file, mtime, mtime);
    const now = new Uint8Array(bytes);
    now.set(patch, at);

    const rerun = await start(args).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()[0].sha256).toBe(await sha256Hex(now));
    expect(await sameBytes(await downloadBytes(api, 'images/image.bin'), now)).toBe('same');
    // The rerun finished the interrupted upload: only the changed part went again.
    expect((await api.get(`/v1/uploads/${uploadId}`)).body.state).toBe('completed');
    expect(rerun.json()[0].parts).toEqual({ sent: PARTS - held.length + 1, resumed: held.length - 1, total: PARTS });
  });
});
