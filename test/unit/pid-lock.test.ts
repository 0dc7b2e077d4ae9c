import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquirePidLock } from '../../src/runtime/pid-lock.ts';

describe('acquirePidLock', () => {
  it('takes over a damaged lock, one naming no number, as one left by a dead process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-lock-'));
    try {
      const lock = join(dir, 'f.lock');
      await writeFile(lock, 'garbage');
      const unlock = await acquirePidLock(lock, { whenHeld: 'wait', signal: AbortSignal.timeout(5000) });
      expect(await readFile(lock, 'utf8')).toBe(String(process.pid));
      await unlock();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails at once when its folder is gone (removed under a running download), instead of trying for ever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-lock-'));
    await rm(dir, { recursive: true, force: true });
    // No signal: before the fix this never settled, and the test timed out.
    await expect(acquirePidLock(join(dir, 'f.lock'), { whenHeld: 'wait' })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
