/**
 * When a run of many files gives up on the store: only after it failed every request for the
 * limit, never while anything it is asked still succeeds or is refused (a refusal is an answer),
 * and never for the API's failures. Tries waiting their turn stop at once, with the outage as
 * their failure.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/client/api-client.ts';
import { OutageWatch, StoreOutage } from '../../src/client/outage.ts';
import { TransferError, withRetry } from '../../src/client/retry.ts';

const refused = () => new TransferError('cannot reach the store: connect ECONNREFUSED 127.0.0.1:9', 0);

describe('OutageWatch', () => {
  let clock = 0;
  const watch = () => new OutageWatch(60_000, () => clock);

  it('stops the run once every request failed for the limit, naming the last failure', () => {
    clock = 0;
    const outage = watch();
    outage.record(refused());
    clock = 59_999;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
    clock = 60_000;
    outage.record(new TransferError('the store did not answer for 60 s', 0));
    expect(outage.signal.aborted).toBe(true);
    expect(outage.signal.reason).toBeInstanceOf(StoreOutage);
    expect((outage.signal.reason as StoreOutage).message).toBe('the store failed every request for 60 s (last: the store did not answer for 60 s)');
  });

  it('counts from the first failure since the store last answered, a refusal included', () => {
    clock = 0;
    const outage = watch();
    outage.record(refused());
    clock = 50_000;
    outage.record();
    clock = 70_000;
    outage.record(refused());
    clock = 100_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
    outage.record(TransferError.refused('upload', 400, '<Error><Code>BadDigest</Code></Error>', 'http://127.0.0.1:7480/b/k'));
    clock = 170_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
    clock = 230_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(true);
  });

  it('ignores what is not the store failing: the API, a local file', () => {
    clock = 0;
    const outage = watch();
    outage.record(refused());
    clock = 120_000;
    outage.record(new ApiError(503, 'store_unavailable', 'the store is unavailable'));
    outage.record(new Error('EACCES: permission denied'));
    expect(outage.signal.aborted).toBe(false);
  });
});

describe('withRetry told of an outage', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('records each try; one that trips the watch stops the others, waiting their turn, at once', async () => {
    vi.useFakeTimers();
    // The longest waits: tries at 0, 1 s, 3 s, 7 s.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const outage = new OutageWatch(2_000);
    const retry = { outage, signal: outage.signal };
    const first: number[] = [];
    const waiting = withRetry(async () => {
      first.push(Date.now());
      throw refused();
    }, retry).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2_500);
    expect(outage.signal.aborted).toBe(false);
    const tripping = withRetry(async () => {
      throw refused();
    }, retry).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(0);
    expect(await tripping).toBeInstanceOf(StoreOutage);
    expect(await waiting).toBeInstanceOf(StoreOutage);
    // The first operation's third try, due at 3 s, never began.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(first).toHaveLength(2);
  });
});
