/** A small closed-loop load generator over keep-alive HTTP/1.1 connections. */
import { Agent, request } from 'node:http';

export interface LoadResult {
  concurrency: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export function makeClient(concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    agent,
    send(url: string, method: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<HttpResult> {
      return new Promise((resolve, reject) => {
        const req = request(url, { method, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
        });
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Runs `operation` from `concurrency` loops for `seconds`, after a short warm-up. */
export async function runLoad(concurrency: number, seconds: number, operation: (worker: number, i: number) => Promise<boolean>): Promise<LoadResult> {
  const warmupEnd = performance.now() + 500;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < warmupEnd; i++) await operation(w, -1 - i);
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        const ok = await operation(w, i);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    requests: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}
