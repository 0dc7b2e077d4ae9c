/**
 * s3rver serves a request that carries no signature at all as an anonymous one: anyone who can
 * reach its port could list, read and overwrite every object. A real dfs bucket is private, so
 * the embedded store refuses such requests as S3 does for a private bucket. A request that
 * carries a signature goes on to s3rver's own check; CORS preflights carry none, by design.
 */
import { beforeRouter, S3Error, type S3rverInternals } from './s3rver-internals.ts';

export function refuseUnsigned(server: unknown): void {
  beforeRouter(server as S3rverInternals, (ctx, next) => {
    const signed = ctx.get('authorization') !== '' || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;
    if (!signed && ctx.method !== 'OPTIONS') throw new S3Error('AccessDenied', 'Access Denied');
    return next();
  });
}
