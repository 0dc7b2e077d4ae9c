/**
 * One structured entry per request. Share ids are capabilities (the id is the whole public
 * link), so they never reach a log: not when a link is opened, nor when ending one fails.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, RequestLogEntry } from './env.ts';

// Whatever follows the prefix, a decoded newline included: none of it is looked at.
const redact = (path: string) => {
  const share = /^\/(?:s|v1\/shares)\//.exec(path);
  return share ? `${share[0]}[share]` : path;
};

export function requestLogger(log: (entry: RequestLogEntry) => void): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const entry: RequestLogEntry = {
      time: new Date().toISOString(),
      requestId: c.get('requestId'),
      method: c.req.method,
      path: redact(c.req.path),
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    };
    const principal = c.get('principal');
    if (principal) entry.tokenId = principal.tokenId;
    if (c.error) entry.error = c.error instanceof Error ? c.error.message : String(c.error);
    const cause = c.error instanceof Error ? describeCause(c.error.cause) : undefined;
    if (cause) entry.cause = cause;
    log(entry);
  };
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (!(cause instanceof Error)) return String(cause);
  // Node's network errors carry their kind in `code`; an AggregateError's message may be empty.
  const code = (cause as { code?: unknown }).code;
  return [cause.name, typeof code === 'string' ? code : '', cause.message].filter(Boolean).join(': ');
}
