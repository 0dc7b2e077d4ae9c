/**
 * s3rver stores multipart parts but answers ListParts and AbortMultipartUpload with 405, and
 * dfs needs both (resume state, verification before assembly, cleanup). This adds them on
 * s3rver's own storage layout, behind s3rver's own SigV4 check, just before its router, and
 * refuses a part for an upload that is not open (NoSuchUpload), as S3 does.
 *
 * An abort and a complete of one upload take turns: s3rver assembles from streams of the part
 * files with no error handler, so an abort removing them mid-assembly ended the whole process
 * (the API's with it). Whichever comes second finds the upload gone (NoSuchUpload), as on S3.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { authentication, beforeRouter, S3Error, type KoaMiddleware, type S3rverInternals } from './s3rver-internals.ts';

export function addMultipartListAndAbort(server: unknown): void {
  const s3rver = server as S3rverInternals;
  const authenticate = authentication();

  const settling = new UploadTurns();
  const noSuchUpload = (uploadId: string) => new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
  const uploadDirectory = (bucket: string, uploadId: string) => join(s3rver.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  /** The upload's folder, if it is open: its `key` file is written when it is created, and goes with the folder when it is completed or aborted. */
  const requireOpen = async (bucket: string, uploadId: string) => {
    const directory = /^[0-9a-f]+$/.test(uploadId) ? uploadDirectory(bucket, uploadId) : null;
    if (directory === null || !(await stat(join(directory, 'key')).catch(() => null))) throw noSuchUpload(uploadId);
    return directory;
  };

  const handler: KoaMiddleware = async (ctx, next) => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    const uploadId = ctx.query.uploadId;
    if (!match || uploadId === undefined) return next();
    if (ctx.method === 'POST') {
      // s3rver's own route checks the signature; its assembly must find every part still there.
      return settling.take(uploadId, async () => {
        await requireOpen(match[1]!, uploadId);
        await next();
      });
    }
    if (ctx.method === 'PUT') {
      // s3rver would make the folder of an upload completed or aborted before the part came
      // anew and keep the part there; S3 refuses it. (One that ends while the part is being
      // written leaves a folder without a key: never open again, its part is never listed.)
      await requireOpen(match[1]!, uploadId);
      return next();
    }
    if (ctx.method !== 'GET' && ctx.method !== 'DELETE') return next();
    ctx.params = { bucket: match[1], key: decodeURIComponent(match[2]!) };
    // Unsigned requests were refused before this (embedded-s3-signed-only.ts); a signed one is checked here.
    await authenticate(ctx, async () => {
      if (ctx.method === 'DELETE') {
        await settling.take(uploadId, async () => {
          await rm(await requireOpen(ctx.params.bucket!, uploadId), { recursive: true, force: true });
        });
        ctx.status = 204;
        return;
      }
      const directory = await requireOpen(ctx.params.bucket!, uploadId);
      const entries = await readdir(directory);
      // s3rver writes a part's digest file after its bytes: a part without one is still arriving.
      const numbers = entries.filter((name) => /^\d+$/.test(name) && entries.includes(`${name}.md5`)).map(Number).sort((a, b) => a - b);
      const parts = await Promise.all(
        numbers.map(async (n) => {
          const [info, md5] = await Promise.all([stat(join(directory, String(n))), readFile(join(directory, `${n}.md5`), 'utf8')]);
          return { PartNumber: n, LastModified: info.mtime.toISOString(), ETag: `"${md5.trim()}"`, Size: info.size };
        }),
      );
      ctx.body = {
        ListPartsResult: {
          '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
          Bucket: ctx.params.bucket,
          Key: ctx.params.key,
          UploadId: uploadId,
          MaxParts: 10000,
          IsTruncated: false,
          Part: parts,
        },
      };
    });
  };

  beforeRouter(s3rver, handler);
}

/** Runs the settling calls (complete, abort) of one upload one after the other. */
class UploadTurns {
  readonly #last = new Map<string, Promise<void>>();

  async take(uploadId: string, run: () => Promise<void>): Promise<void> {
    const before = this.#last.get(uploadId) ?? Promise.resolve();
    const turn = before.then(run);
    const settled = turn.catch(() => {});
    this.#last.set(uploadId, settled);
    try {
      await turn;
    } finally {
      if (this.#last.get(uploadId) === settled) this.#last.delete(uploadId);
    }
  }
}
