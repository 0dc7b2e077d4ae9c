/**
 * S3 refuses a PUT whose bytes do not match its Content-MD5 (400 BadDigest) and keeps whatever
 * the key held before; s3rver only checks that the header is the one signed, so bytes changed on
 * the way would be stored. This makes the embedded store do as S3 does: a body sent with a
 * Content-MD5 is written beside its destination and moved into place only if its digest matches.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { beforeRouter, S3Error, type S3rverInternals } from './s3rver-internals.ts';

/** The Content-MD5 of the PUT being handled, for the store call it leads to. */
const announced = new AsyncLocalStorage<string>();

export function verifyContentMd5(server: unknown): void {
  const s3rver = server as S3rverInternals;
  const store = s3rver.store;
  const putContent = store.putContent.bind(store);
  store.putContent = async (path, content) => {
    const md5 = announced.getStore();
    if (md5 === undefined) return putContent(path, content);
    const expected = Buffer.from(md5, 'base64');
    if (expected.length !== 16 || expected.toString('base64') !== md5) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', { ContentMD5: md5 });
    const incoming = `${path}.${randomUUID()}.incoming`;
    try {
      const [size, hex] = await putContent(incoming, content);
      const received = Buffer.from(hex, 'hex').toString('base64');
      if (received !== md5) {
        throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', { ExpectedDigest: md5, CalculatedDigest: received });
      }
      await rename(incoming, path);
      return [size, hex];
    } catch (error) {
      await rm(incoming, { force: true });
      throw error;
    }
  };

  beforeRouter(s3rver, (ctx, next) => {
    const md5 = ctx.method === 'PUT' ? ctx.get('content-md5') : '';
    return md5 ? announced.run(md5, next) : next();
  });
}
