/**
 * S3 (and R2, MinIO, Ceph) refuse a PUT sent with `If-None-Match: *` when the key holds an
 * object (412), and of two such PUTs at once let one win; s3rver ignores the header. dfs signs it
 * into every single-request upload URL so the URL cannot rewrite the object once it is there;
 * this makes the embedded store keep that promise too. The body goes beside its destination and
 * is linked into place only if nothing is there (one atomic step), so a body cut off halfway
 * leaves nothing behind, as on S3, and the upload can be sent again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { link, rm } from 'node:fs/promises';
import { beforeRouter, S3Error, type S3rverInternals } from './s3rver-internals.ts';

const createOnly = new AsyncLocalStorage<true>();

const preconditionFailed = () => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });

export function honourIfNoneMatch(server: unknown): void {
  const s3rver = server as S3rverInternals;
  const store = s3rver.store;
  const putObject = store.putObject.bind(store);
  const putContent = store.putContent.bind(store);
  store.putObject = async (object) => {
    // Refused before a byte is read when the object is there already.
    if (createOnly.getStore() && (await store.existsObject(object.bucket, object.key))) throw preconditionFailed();
    return putObject(object);
  };
  store.putContent = async (path, content) => {
    if (!createOnly.getStore()) return putContent(path, content);
    const incoming = `${path}.${randomUUID()}.incoming`;
    try {
      const written = await putContent(incoming, content);
      await link(incoming, path).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EEXIST' ? preconditionFailed() : error;
      });
      return written;
    } finally {
      await rm(incoming, { force: true });
    }
  };

  beforeRouter(s3rver, (ctx, next) => (ctx.method === 'PUT' && ctx.get('if-none-match') === '*' ? createOnly.run(true, next) : next()));
}
