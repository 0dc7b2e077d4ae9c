/**
 * What S3 (and R2, MinIO, Ceph) check of a PUT before keeping its body, and s3rver does not:
 * - Content-MD5 and x-amz-checksum-sha256: bytes that do not match are refused (400 BadDigest)
 *   and the key keeps what it held; s3rver only checks that the headers are the ones signed.
 * - If-None-Match: * (412 when the key holds an object, and of two such PUTs at once one wins):
 *   dfs signs it into every single-request upload URL so the URL cannot rewrite the object once
 *   it is there.
 * A body under any of them is written once beside its destination, then moved into place if its
 * digests match (linked, for If-None-Match, so that taking the key is one atomic step); a body
 * cut off halfway leaves nothing behind, as on S3, and the upload can be sent again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { link, rename, rm } from 'node:fs/promises';
import { pipeline, Transform } from 'node:stream';
import { beforeRouter, S3Error, type S3rverInternals } from './s3rver-internals.ts';

interface PutChecks {
  /** Content-MD5, base64. */
  md5?: string;
  /** x-amz-checksum-sha256, base64. */
  sha256?: string;
  createOnly: boolean;
}

/** The checks the PUT being handled asked for, for the store calls it leads to. */
const asked = new AsyncLocalStorage<PutChecks>();

const isDigest = (base64: string, bytes: number) => {
  const decoded = Buffer.from(base64, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === base64;
};

const preconditionFailed = () => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });

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
  // The store's own pipeline ends `tap`; an error on either side ends the other.
  pipeline(content as NodeJS.ReadableStream, tap, () => {});
  return tap;
}

export function checkPuts(server: unknown): void {
  const s3rver = server as S3rverInternals;
  const store = s3rver.store;
  const putObject = store.putObject.bind(store);
  const putContent = store.putContent.bind(store);
  store.putObject = async (object) => {
    // Refused before a byte is read when the object is there already.
    if (asked.getStore()?.createOnly && (await store.existsObject(object.bucket, object.key))) throw preconditionFailed();
    return putObject(object);
  };
  store.putContent = async (path, content) => {
    const checks = asked.getStore();
    if (!checks) return putContent(path, content);
    const { md5, sha256, createOnly } = checks;
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
      if (!createOnly) await rename(incoming, path);
      else {
        await link(incoming, path).catch((error: NodeJS.ErrnoException) => {
          throw error.code === 'EEXIST' ? preconditionFailed() : error;
        });
      }
      return [size, hex];
    } finally {
      await rm(incoming, { force: true });
    }
  };

  beforeRouter(s3rver, (ctx, next) => {
    if (ctx.method !== 'PUT') return next();
    const checks: PutChecks = { createOnly: ctx.get('if-none-match') === '*' };
    if (ctx.get('content-md5')) checks.md5 = ctx.get('content-md5');
    if (ctx.get('x-amz-checksum-sha256')) checks.sha256 = ctx.get('x-amz-checksum-sha256');
    return checks.md5 === undefined && checks.sha256 === undefined && !checks.createOnly ? next() : asked.run(checks, next);
  });
}
