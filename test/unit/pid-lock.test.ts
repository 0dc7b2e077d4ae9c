import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
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

  it('takes over a lock naming its own pid from before it started (a container restarted, pid 1 again), not one it took itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-lock-'));
    const refuse = (pid: number) => new Error(`held by ${pid}`);
    try {
      const lock = join(dir, 'f.lock');
      await writeFile(lock, String(process.pid));
      // After the machine started, before this process did: only the pid tells it is stale.
      const before = (Date.now() - process.uptime() * 1000 - 1000) / 1000;
      await utimes(lock, before, before);
      const unlock = await acquirePidLock(lock, { whenHeld: refuse });
      await expect(acquirePidLock(lock, { whenHeld: refuse })).rejects.toThrow(`held by ${process.pid}`);
      await unlock();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
