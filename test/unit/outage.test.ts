/**
 * When a run of many files gives up on the store: only after it failed every request for the
 * limit, counted from the first failure since it last answered (from when a silence began, so a
 * store that never answers is found out by its first timeout), never from before that answer; a
 * refusal is an answer, and the API's failures say nothing of the store. While the store fails
 * everything, no file fails on its own for the store: each goes on trying until the store
 * answers or the run stops. Anything else ends with a file's own tries.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/client/api-client.ts';
import { OutageWatch, StoreOutage } from '../../src/client/outage.ts';
import { RETRY_ATTEMPTS, TransferError, withRetry } from '../../src/client/retry.ts';

const refused = () => new TransferError('cannot reach the store: connect ECONNREFUSED 127.0.0.1:9', 0);
const silent = () => TransferError.silent(60_000);

describe('OutageWatch', () => {
  let clock = 0;
  const watch = (limitMs = 60_000) => {
    clock = 0;
    return new OutageWatch(limitMs, () => clock);
  };

  it('stops the run once every request failed for the limit, naming how long and the last failure', () => {
    const outage = watch();
    clock = 1_000;
    outage.record(refused());
    clock = 60_999;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
    clock = 62_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(true);
    expect(outage.signal.reason).toBeInstanceOf(StoreOutage);
    expect((outage.signal.reason as StoreOutage).message).toBe('the store failed every request for 61 s (last: cannot reach the store: connect ECONNREFUSED 127.0.0.1:9)');
  });

  it('finds out a silent store by its first timeout, whatever the limit below it', () => {
    const outage = watch(4_000);
    clock = 60_000;
    outage.record(silent());
    expect(outage.signal.aborted).toBe(true);
    expect((outage.signal.reason as StoreOutage).message).toBe('the store failed every request for 60 s (last: the store did not answer for 60 s)');
  });

  it('takes a long transfer that fails at its end for one failure, not a store failing all along', () => {
    const outage = watch(60_000);
    // A part sent for 70 s over a slow link, reset at the end: the stretch starts now.
    clock = 70_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
    clock = 100_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
  });

  it('never counts from before the store last answered, a refusal included', () => {
    const outage = watch();
    clock = 50_000;
    outage.record(silent());
    expect(outage.signal.aborted).toBe(false);
    // A silence begun before an answer starts at the answer.
    outage.record();
    clock = 100_000;
    outage.record(silent());
    expect(outage.signal.aborted).toBe(false);
    outage.record(TransferError.refused('upload', 400, '<Error><Code>BadDigest</Code></Error>', 'http://127.0.0.1:7480/b/k'));
    expect(outage.answeredSince(99_000)).toBe(true);
    clock = 159_000;
    outage.record(refused());
    clock = 218_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
    clock = 219_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(true);
  });

  it('ignores what is not the store failing: the API, a local file', () => {
    const outage = watch();
    outage.record(new ApiError(503, 'storage_unavailable', 'the store is unavailable'));
    clock = 120_000;
    outage.record(new Error('EACCES: permission denied'));
    clock = 121_000;
    outage.record(refused());
    expect(outage.signal.aborted).toBe(false);
  });
});

describe('withRetry told of an outage', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  const watchOnFakeTime = (limitMs: number) => new OutageWatch(limitMs, () => Date.now());

  it('keeps a file trying past its own tries while the store fails everything, until the run stops', async () => {
    vi.useFakeTimers();
    const outage = watchOnFakeTime(60_000);
    let tries = 0;
    const failing = withRetry(async () => {
      tries++;
      throw refused();
    }, { outage }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(70_000);
    expect(await failing).toBeInstanceOf(StoreOutage);
    expect(tries).toBeGreaterThan(RETRY_ATTEMPTS);
  });

  it('ends with its own tries when the store answers other requests, or when the API is what fails', async () => {
    vi.useFakeTimers();
    const outage = watchOnFakeTime(60_000);
    let tries = 0;
    const storeFlaky = withRetry(async () => {
      tries++;
      // Another file's request is answered between each of this one's tries.
      outage.record();
      throw new TransferError('the store answered HTTP 500 InternalError', 500);
    }, { outage }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await storeFlaky).toMatchObject({ status: 500 });
    expect(tries).toBe(RETRY_ATTEMPTS);

    tries = 0;
    const apiDown = withRetry(async () => {
      tries++;
      throw new ApiError(0, 'network_error', 'cannot reach http://127.0.0.1:8787: connect ECONNREFUSED');
    }, { outage }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await apiDown).toBeInstanceOf(ApiError);
    expect(tries).toBe(RETRY_ATTEMPTS);
    expect(outage.signal.aborted).toBe(false);
  });

  it('stops the others, waiting their turn, at once when one trips the watch, given the watch alone', async () => {
    vi.useFakeTimers();
    // The longest waits: tries at 0, 1 s, 3 s, 7 s.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const outage = watchOnFakeTime(2_000);
    let first = 0;
    const waiting = withRetry(async () => {
      first++;
      throw refused();
    }, { outage }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(outage.signal.aborted).toBe(false);
    const tripping = withRetry(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      throw refused();
    }, { outage }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await tripping).toBeInstanceOf(StoreOutage);
    expect(await waiting).toBeInstanceOf(StoreOutage);
    // The first operation's third try, due at 3 s, never began.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(first).toBe(2);
  });
});
