import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resumeStore } from '../../src/cli/resume-store.ts';

let cache: string;
const saved = process.env.XDG_CACHE_HOME;
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'dfs-resume-store-'));
  process.env.XDG_CACHE_HOME = cache;
});
afterEach(async () => {
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved;
  await rm(cache, { recursive: true, force: true });
});

describe('the resume store', () => {
  it('forgets states older than any upload a server keeps open, as it first saves a new one', async () => {
    const folder = join(cache, 'dfs', 'uploads');
    await mkdir(folder, { recursive: true });
    const old = join(folder, 'old.json');
    const recent = join(folder, 'recent.json');
    await writeFile(old, '{}');
    await writeFile(recent, '{}');
    const monthAgo = new Date(Date.now() - 31 * 86_400_000);
    await utimes(old, monthAgo, monthAgo);

    const state = { uploadId: 'u1', path: 'a.bin', size: 1, partSize: 5 * 1024 * 1024 };
    await resumeStore.set('fresh', state);
    // The sweep runs beside the upload, not before it.
    await expect.poll(() => readdir(folder)).not.toContain('old.json');
    const left = await readdir(folder);
    expect(left).toHaveLength(2);
    expect(left).toContain('recent.json');
    expect(await resumeStore.get('fresh')).toEqual(state);

    // Once a process: a later save does not sweep again.
    const later = join(folder, 'later-old.json');
    await writeFile(later, '{}');
    await utimes(later, monthAgo, monthAgo);
    await resumeStore.set('second', state);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(folder)).toContain('later-old.json');
  });
});
