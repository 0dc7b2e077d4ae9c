/**
 * Which store refusals get a fresh URL and another try: an expired presigned URL is one, said in
 * the body (S3, MinIO) or only by the URL's own lifetime (Ceph RGW answers a bare AccessDenied);
 * a signature the store rejects for any other reason is final.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { presignedUrlLapsed, TransferError, withRetry } from '../../src/client/retry.ts';

const SIGNED_AT = Date.UTC(2026, 10, 26, 3, 0, 0);
const url = (signedAt: number, lifetimeSeconds: number) => {
  const stamp = new Date(signedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `http://127.0.0.1:7480/bucket/o/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${stamp}&X-Amz-Expires=${lifetimeSeconds}&X-Amz-Signature=00`;
};
const BARE_ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><RequestId>tx1</RequestId></Error>';

describe('presignedUrlLapsed', () => {
  it('reads the lifetime from X-Amz-Date and X-Amz-Expires, a minute early for clocks that differ', () => {
    const hourLong = url(SIGNED_AT, 3600);
    expect(presignedUrlLapsed(hourLong, SIGNED_AT + 30 * 60_000)).toBe(false);
    expect(presignedUrlLapsed(hourLong, SIGNED_AT + 58 * 60_000)).toBe(false);
    expect(presignedUrlLapsed(hourLong, SIGNED_AT + 59 * 60_000 + 1)).toBe(true);
    expect(presignedUrlLapsed(hourLong, SIGNED_AT + 2 * 3600_000)).toBe(true);
  });

  it('says no for a URL that is not presigned or cannot be read', () => {
    expect(presignedUrlLapsed('http://127.0.0.1:7480/bucket/o/key', SIGNED_AT)).toBe(false);
    expect(presignedUrlLapsed('http://127.0.0.1:7480/k?X-Amz-Date=yesterday&X-Amz-Expires=1', SIGNED_AT)).toBe(false);
    expect(presignedUrlLapsed('not a url', SIGNED_AT)).toBe(false);
  });
});

describe('a store refusal', () => {
  it('asks for a new URL when the store says it expired, or a bare 403 comes after its lifetime', () => {
    const said = TransferError.refused('upload', 403, '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', url(Date.now(), 3600));
    expect(said).toMatchObject({ needsNewUrl: true, transient: true, storeCode: 'AccessDenied' });
    const lapsed = TransferError.refused('upload', 403, BARE_ACCESS_DENIED, url(Date.now() - 2 * 3600_000, 3600));
    expect(lapsed).toMatchObject({ needsNewUrl: true, transient: true, storeCode: 'AccessDenied' });
  });

  it('shows of an answer that is not S3\'s its title or a short line, never its markup or a stack trace', () => {
    const at = url(Date.now(), 3600);
    const page = TransferError.refused('upload', 403, '<html><head><title>403 Forbidden</title></head><body><h1>nope</h1></body></html>', at);
    expect(page.message).toBe('the store refused the upload: HTTP 403 "403 Forbidden" (an answer that is not the store\'s own: a proxy or firewall in between?)');
    const json = TransferError.refused('upload', 400, '{"error":"x","stack":"at foo"}', at);
    expect(json.message).toBe("the store refused the upload: HTTP 400 (an answer that is not the store's own: a proxy or firewall in between?)");
    const text = TransferError.refused('download', 502, 'Bad Gateway\n', at);
    expect(text.message).toBe('the store refused the download: HTTP 502 "Bad Gateway" (an answer that is not the store\'s own: a proxy or firewall in between?)');
    expect(TransferError.refused('download', 503, '', at).message).toBe('the store refused the download: HTTP 503');
  });

  it('is final for a 403 within the URL lifetime, and for anything but a 403', () => {
    const denied = TransferError.refused('download', 403, BARE_ACCESS_DENIED, url(Date.now(), 3600));
    expect(denied).toMatchObject({ needsNewUrl: false, transient: false });
    const gone = TransferError.refused('download', 404, '<Error><Code>NoSuchKey</Code></Error>', url(Date.now() - 2 * 3600_000, 3600));
    expect(gone).toMatchObject({ needsNewUrl: false, transient: false, storeCode: 'NoSuchKey' });
  });
});

describe('the waits between tries', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** When each try of an operation that fails four times with a network error began. */
  async function tryTimes(draw: number): Promise<number[]> {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(draw);
    const started: number[] = [];
    const done = withRetry(async () => {
      started.push(Date.now());
      if (started.length < 5) throw new TransferError('network error: reset', 0);
      return 'ok';
    });
    await vi.runAllTimersAsync();
    expect(await done).toBe('ok');
    return started.slice(1).map((at, i) => at - started[i]!);
  }

  it('are drawn from the upper half of a doubling ceiling, so five tries always span 7.5 s or more', async () => {
    expect(await tryTimes(0)).toEqual([500, 1000, 2000, 4000]);
    const longest = await tryTimes(0.999);
    [1000, 2000, 4000, 8000].forEach((ceiling, i) => expect(Math.abs(longest[i]! - ceiling)).toBeLessThanOrEqual(10));
  });
});
