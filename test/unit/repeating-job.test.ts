import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { repeatEvery } from '../../src/runtime/repeating-job.ts';

describe('repeatEvery', () => {
  it('never starts a run while the last is under way, and stop waits for it', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let finished = 0;
    // Each run lasts five intervals: an interval timer would have five running at once.
    const job = repeatEvery(
      10,
      async () => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(50);
        running--;
        finished++;
      },
      (error) => expect.fail(String(error)),
    );
    await expect.poll(() => finished, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => running).toBe(1);
    await job.stop();
    expect(running).toBe(0);
    const after = finished;
    await sleep(100);
    expect(finished).toBe(after);
    expect(mostAtOnce).toBe(1);
  });

  it('tells each failed run to onError and goes on; stop never rejects', async () => {
    const failures: unknown[] = [];
    let runs = 0;
    const job = repeatEvery(
      5,
      async () => {
        runs++;
        if (runs % 2 === 1) throw new Error(`run ${runs}`);
      },
      (error) => failures.push(error),
    );
    await expect.poll(() => runs).toBeGreaterThanOrEqual(4);
    await expect(job.stop()).resolves.toBeUndefined();
    expect(failures.map((f) => (f as Error).message).slice(0, 2)).toEqual(['run 1', 'run 3']);
  });
});
