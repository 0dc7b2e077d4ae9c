/**
 * S3 refuses a PUT whose bytes do not match its Content-MD5 or its x-amz-checksum-sha256 (400
 * BadDigest) and keeps whatever the key held before; s3rver only checks that the headers are
 * the ones signed, so bytes changed on the way, or not the ones a client declared, would be
 * stored. This makes the embedded store do as S3 does: a body sent with either digest is written
 * beside its destination and moved into place only if it matches.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { beforeRouter, S3Error, type S3rverInternals } from './s3rver-internals.ts';

interface Announced {
  /** Content-MD5, base64. */
  md5?: string;
  /** x-amz-checksum-sha256, base64. */
  sha256?: string;
}

/** The digests the PUT being handled announced, for the store call it leads to. */
const announced = new AsyncLocalStorage<Announced>();

const isDigest = (base64: string, bytes: number) => {
  const decoded = Buffer.from(base64, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === base64;
};

/** The body as s3rver's store takes it (a Buffer or a stream), its bytes also fed to `hash`. */
function hashing(content: unknown, hash: Hash): unknown {
  if (Buffer.isBuffer(content)) {
    hash.update(content);
    return content;
  }
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const source = content as NodeJS.ReadableStream & { on(event: 'error', listener: (error: Error) => void): unknown };
  source.on('error', (error) => tap.destroy(error));
  return source.pipe(tap);
}

export function verifyDigests(server: unknown): void {
  const s3rver = server as S3rverInternals;
  const store = s3rver.store;
  const putContent = store.putContent.bind(store);
  store.putContent = async (path, content) => {
    const { md5, sha256 } = announced.getStore() ?? {};
    if (md5 === undefined && sha256 === undefined) return putContent(path, content);
    if (md5 !== undefined && !isDigest(md5, 16)) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', { ContentMD5: md5 });
    if (sha256 !== undefined && !isDigest(sha256, 32)) throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-sha256 header is invalid.');
    const sha256Hash = sha256 === undefined ? null : createHash('sha256');
    const incoming = `${path}.${randomUUID()}.incoming`;
    try {
      const [size, hex] = await putContent(incoming, sha256Hash ? hashing(content, sha256Hash) : content);
      const received = Buffer.from(hex, 'hex').toString('base64');
      if (md5 !== undefined && received !== md5) {
        throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', { ExpectedDigest: md5, CalculatedDigest: received });
      }
      if (sha256Hash && sha256Hash.digest('base64') !== sha256) {
        throw new S3Error('BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
      }
      await rename(incoming, path);
      return [size, hex];
    } catch (error) {
      await rm(incoming, { force: true });
      throw error;
    }
  };

  beforeRouter(s3rver, (ctx, next) => {
    if (ctx.method !== 'PUT') return next();
    const digests: Announced = {};
    if (ctx.get('content-md5')) digests.md5 = ctx.get('content-md5');
    if (ctx.get('x-amz-checksum-sha256')) digests.sha256 = ctx.get('x-amz-checksum-sha256');
    return digests.md5 === undefined && digests.sha256 === undefined ? next() : announced.run(digests, next);
  });
}
