/**
 * `dfs put` and `dfs get`: local files and folders to and from the service. Small files go in
 * batches (a few API calls for a thousand files, many transfers at once); big files one at a
 * time in parallel parts or ranges, resumable. Every file succeeds or fails alone: the ones
 * that failed are reported together at the end.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type Dirent, type Stats } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ApiError, type DfsClient } from '../client/api-client.ts';
import type { DownloadLink, FileEntry } from '../client/api-types.ts';
import { BatchItemError, MAX_BATCH, uploadMany } from '../client/batch-upload.ts';
import { downloadRanges } from '../client/download.ts';
import { createLimiter, runPool } from '../client/pool.ts';
import { TransferError, withRetry } from '../client/retry.ts';
import { DEFAULT_MULTIPART_THRESHOLD, uploadFile } from '../client/upload.ts';
import { getBytes, getToStream } from './http-transport.ts';
import { exclusion, type Excluded } from './exclusion.ts';
import { localFile } from './local-file.ts';
import { PartFile } from './part-file.ts';
import { Progress } from './progress.ts';
import { holdsAnything } from './remote-path.ts';
import { replaceFile } from './replace-file.ts';
import { resumeStore } from './resume-store.ts';
import { findDownloaded, findUnchanged } from './unchanged.ts';

const MiB = 1024 * 1024;
/** Downloads up to this size are held in memory and hashed inline; larger ones stream to disk. */
const IN_MEMORY_MAX = 256 * 1024;
const RANGE_SIZE = 16 * MiB;
/** Files per listing page (the API's maximum). */
const LIST_PAGE = 1000;

export interface TransferOptions {
  recursive: boolean;
  /** Files transferred at once (small files). */
  jobs: number;
  /** Small files per API request. */
  batch: number;
  /** Parts or ranges in flight for one big file. */
  parts: number;
  partSize?: number;
  /** Transfer files even when their content is already at the destination. */
  force?: boolean;
  /** Patterns of files and folders left out of folder transfers (see exclusion.ts). */
  exclude?: string[];
  progress: boolean;
  signal?: AbortSignal;
}

export class UsageError extends Error {}

/** A failure tied to one file, reported as "path: reason". */
export class FileError extends Error {
  constructor(path: string, cause: unknown) {
    super(`${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Some files of a transfer failed (the others are done): one line each. */
export class TransferFailures extends Error {
  readonly failures: FileError[];

  constructor(failures: FileError[]) {
    super(failures.map((f) => f.message).join('\n'), { cause: failures[0]?.cause });
    this.failures = failures;
  }
}

export interface TransferReport<T> {
  done: T[];
  failed: FileError[];
}

interface PlannedUpload {
  local: string;
  remote: string;
  size: number;
  mtimeMs: number;
}

const joinRemote = (...parts: string[]) => parts.filter(Boolean).join('/').replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
const toPosix = (path: string) => path.split(sep).join('/');

/**
 * Files under `root`, not descending into excluded folders. Symbolic links are followed (a store
 * keeps no links, so the content is what a user means), except to a folder the walk is already
 * inside; a link to nothing is a failure of its own.
 */
async function walk(root: string, excluded: Excluded, broken: FileError[], dir = root, inside: ReadonlySet<string> = new Set()): Promise<string[]> {
  const real = await realpath(dir);
  if (inside.has(real)) return [];
  const path = new Set(inside).add(real);
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (excluded(toPosix(relative(root, full)))) continue;
    let kind: Dirent | Stats | null = entry;
    if (entry.isSymbolicLink()) {
      kind = await stat(full).catch(() => null);
      if (!kind) {
        broken.push(new FileError(full, new Error('broken symbolic link')));
        continue;
      }
    }
    if (kind.isDirectory()) out.push(...(await walk(root, excluded, broken, full, path)));
    else if (kind.isFile()) out.push(full);
  }
  return out;
}

interface UploadPlan {
  plans: PlannedUpload[];
  /** Files found but not readable as files (broken links): reported, the others still go. */
  broken: FileError[];
}

async function planUploads(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<UploadPlan> {
  const plans: PlannedUpload[] = [];
  const broken: FileError[] = [];
  const single = locals.length === 1;
  const namesFile = single && remote !== undefined && remote !== '' && !remote.endsWith('/');
  for (const local of locals) {
    const info = await stat(local).catch(() => null);
    if (!info) throw new FileError(local, new Error('no such file or directory'));
    if (info.isDirectory()) {
      if (!options.recursive) throw new UsageError(`${local} is a directory (use -r)`);
      const base = basename(resolve(local));
      const files = await walk(local, exclusion(options.exclude ?? []), broken);
      const infos = await Promise.all(files.map((file) => stat(file)));
      files.forEach((file, i) => {
        plans.push({ local: file, remote: joinRemote(remote ?? '', base, toPosix(relative(local, file))), size: infos[i]!.size, mtimeMs: infos[i]!.mtimeMs });
      });
    } else {
      // One file and a remote not ending in "/" names the file itself, unless that is a folder
      // (as cp does).
      const target = namesFile && !(await holdsAnything(client, `${remote}/`)) ? remote : joinRemote(remote ?? '', basename(local));
      plans.push({ local, remote: target, size: info.size, mtimeMs: info.mtimeMs });
    }
  }
  return { plans, broken };
}

export interface Uploaded extends FileEntry {
  /** For multipart uploads: parts sent by this run and parts an interrupted run had sent. */
  parts?: { sent: number; resumed: number; total: number };
  /** Not sent: this content already is the current version at this path. */
  unchanged?: true;
}

/** What a transfer would do, file by file (`--dry-run`), without doing it. */
export interface PlannedTransfer {
  local: string;
  remote: string;
  size: number;
  action: 'upload' | 'download' | 'unchanged';
}

export async function putFiles(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<TransferReport<Uploaded>> {
  const { plans, broken } = await planUploads(client, locals, remote, options);
  const report = await putPlanned(client, plans, options);
  return { ...report, failed: [...broken, ...report.failed] };
}

export async function planPut(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<TransferReport<PlannedTransfer>> {
  const { plans, broken } = await planUploads(client, locals, remote, options);
  const unchanged = options.force ? new Map<PlannedUpload, FileEntry>() : await findUnchanged(client, plans);
  return { done: plans.map(({ local, remote, size }, i) => ({ local, remote, size, action: unchanged.has(plans[i]!) ? 'unchanged' : 'upload' })), failed: broken };
}

export async function planGet(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<TransferReport<PlannedTransfer>> {
  const plans = await planDownloads(client, remotes, local, options);
  const present = options.force ? new Set<PlannedDownload>() : await findDownloaded(plans);
  return { done: plans.map((plan) => ({ local: plan.local, remote: plan.remote, size: plan.size, action: present.has(plan) ? 'unchanged' : 'download' })), failed: [] };
}

/**
 * Standard input to one remote file. The API takes a file's size up front and a failed part is
 * sent again, so the input is first copied to a temporary file (under TMPDIR), removed after.
 */
export async function putStandardInput(client: DfsClient, input: NodeJS.ReadableStream, remote: string, options: TransferOptions): Promise<TransferReport<Uploaded>> {
  if (remote === '' || remote.endsWith('/')) throw new UsageError('name the remote file for standard input, e.g. dfs put - backups/db.sql');
  const folder = await mkdtemp(join(tmpdir(), 'dfs-stdin-'));
  try {
    const spool = join(folder, 'stdin');
    await pipeline(input, createWriteStream(spool));
    const info = await stat(spool);
    return await putPlanned(client, [{ local: spool, remote, size: info.size, mtimeMs: info.mtimeMs }], options);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function putPlanned(client: DfsClient, planned: PlannedUpload[], options: TransferOptions): Promise<TransferReport<Uploaded>> {
  const unchanged = options.force ? new Map<PlannedUpload, FileEntry>() : await findUnchanged(client, planned);
  const plans = planned.filter((plan) => !unchanged.has(plan));
  const progress = new Progress(plans.reduce((sum, p) => sum + p.size, 0), options.progress);
  const report: TransferReport<Uploaded> = { done: [...unchanged.values()].map((file) => ({ ...file, unchanged: true as const })), failed: [] };
  const small = plans.filter((p) => p.size <= DEFAULT_MULTIPART_THRESHOLD);
  const big = plans.filter((p) => p.size > DEFAULT_MULTIPART_THRESHOLD);
  try {
    const outcomes = await uploadMany(
      client,
      small.map((plan) => ({ path: plan.remote, io: localFile(plan.local, plan.size) })),
      { concurrency: options.jobs, batchSize: options.batch, onProgress: (bytes) => progress.add(bytes), signal: options.signal },
    );
    outcomes.forEach((outcome, i) => {
      if (outcome instanceof Error) report.failed.push(new FileError(small[i]!.local, outcome));
      else report.done.push(outcome);
    });
    for (const plan of big) {
      const bar = progress.file(plan.remote, plan.size);
      try {
        const key = `${client.endpoint}\n${plan.remote}\n${resolve(plan.local)}\n${plan.size}\n${plan.mtimeMs}`;
        let parts: Uploaded['parts'];
        const file = await uploadFile(client, plan.remote, localFile(plan.local, plan.size), {
          partSize: options.partSize,
          concurrency: options.parts,
          resume: { store: resumeStore, key },
          onProgress: (bytes) => bar.add(bytes),
          onParts: (counts) => (parts = counts),
          signal: options.signal,
        });
        report.done.push(parts ? { ...file, parts } : file);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        report.failed.push(new FileError(plan.local, error));
      } finally {
        bar.done();
      }
    }
  } finally {
    progress.stop();
  }
  return report;
}

interface PlannedDownload {
  remote: string;
  local: string;
  size: number;
  sha256: string | null;
}

export interface Downloaded extends PlannedDownload {
  /** For files fetched in ranges: ranges fetched by this run and ranges an interrupted run had saved. */
  ranges?: RangeCounts;
  /** Not fetched: the local file already holds this content. */
  unchanged?: true;
}

interface RangeCounts {
  fetched: number;
  resumed: number;
  total: number;
}

async function planDownloads(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<PlannedDownload[]> {
  const excluded = exclusion(options.exclude ?? []);
  const target = local ?? '.';
  const targetIsDir = (await stat(target).catch(() => null))?.isDirectory() ?? false;
  const planOne = async (remote: string): Promise<PlannedDownload[]> => {
    const folder = remote === '' ? '' : `${remote}/`;
    // With -r the folder's first page is asked for together with the file: one round trip, not two.
    const firstPage = options.recursive ? client.list({ prefix: folder, limit: LIST_PAGE }) : null;
    firstPage?.catch(() => undefined);
    const file =
      remote === ''
        ? null
        : await client.stat(remote).catch((error: unknown) => {
            if (error instanceof ApiError && error.status === 404) return null;
            throw error;
          });
    if (file) {
      const dest = remotes.length === 1 && !targetIsDir && local !== undefined ? target : join(target, basename(remote));
      return [{ remote, local: dest, size: file.size, sha256: file.sha256 }];
    }
    if (!firstPage) throw new FileError(remote, new Error('no such file (use -r for a folder)'));
    // The top level ("/") lands in the target itself, a folder in a folder of its name there.
    const base = remote === '' ? target : join(target, basename(remote));
    const plans: PlannedDownload[] = [];
    let found = false;
    for (let page = await firstPage; ; page = await client.list({ prefix: folder, limit: LIST_PAGE, cursor: page.nextCursor })) {
      for (const entry of page.files) {
        found = true;
        const inFolder = entry.path.slice(folder.length);
        if (!excluded(inFolder)) plans.push({ remote: entry.path, local: join(base, ...inFolder.split('/')), size: entry.size, sha256: entry.sha256 });
      }
      if (page.nextCursor === null) break;
    }
    if (!found) throw new FileError(remote || '/', new Error('no such file or folder'));
    return plans;
  };
  return (await Promise.all(remotes.map((remote) => planOne(remote.replace(/\/+$/, ''))))).flat();
}

/** Written beside its destination, then renamed: a failed download never leaves a half file under the real name. */
async function saveSmall(link: DownloadLink, dest: string, signal?: AbortSignal): Promise<void> {
  const bytes = await withRetry(() => getBytes(link.url, signal), { signal });
  if (bytes.length !== link.size) throw new Error(`the store sent ${bytes.length} of ${link.size} bytes`);
  checkDigest(link, createHash('sha256').update(bytes).digest('hex'));
  await replaceFile(dest, bytes, `${dest}.dfs-part`);
}

function checkDigest(link: DownloadLink, actual: string): void {
  if (link.sha256 !== null && actual !== link.sha256) throw new Error(`checksum mismatch: expected sha256 ${link.sha256}, got ${actual}`);
}

/** Parallel ranges into a .dfs-part file that a rerun continues, SHA-256 verified before the rename. */
async function saveRanges(client: DfsClient, remote: string, link: DownloadLink, dest: string, options: TransferOptions, onBytes: (bytes: number) => void): Promise<RangeCounts> {
  const part = await PartFile.open(dest, link.version, link.size, RANGE_SIZE);
  const total = Math.ceil(link.size / RANGE_SIZE);
  const resumed = part.done.size;
  for (const start of part.done) onBytes(Math.min(RANGE_SIZE, link.size - start));
  try {
    await downloadRanges(link, part, {
      rangeSize: RANGE_SIZE,
      concurrency: options.parts,
      done: part.done,
      onRange: (start) => part.rangeDone(start),
      onProgress: onBytes,
      refresh: () => client.download(remote, { version: link.version }),
      signal: options.signal,
    });
  } finally {
    await part.close();
  }
  const actual = await part.sha256();
  if (link.sha256 !== null && actual !== link.sha256) {
    await part.discard();
    checkDigest(link, actual);
  }
  await part.finish(dest);
  return { fetched: total - resumed, resumed, total };
}

/**
 * One remote file into a stream (standard output), in order, SHA-256 verified at the end. A
 * failed try continues from the last byte written, with a fresh link if the old one expired.
 * Bytes already written cannot be taken back: a mismatch is reported, and the exit code says so.
 */
export async function getToStandardOutput(client: DfsClient, remote: string, out: NodeJS.WritableStream, options: TransferOptions): Promise<void> {
  try {
    await streamFile(client, remote, out, options);
  } catch (error) {
    throw new FileError(remote, error);
  }
}

async function streamFile(client: DfsClient, remote: string, out: NodeJS.WritableStream, options: TransferOptions): Promise<void> {
  let link = await client.download(remote);
  const progress = new Progress(link.size, options.progress);
  const bar = progress.file(remote, link.size);
  const hash = createHash('sha256');
  let written = 0;
  try {
    await withRetry(
      async () => {
        try {
          await getToStream(link.url, written, link.size, out, (chunk) => {
            hash.update(chunk);
            written += chunk.length;
            bar.add(chunk.length);
          }, options.signal);
        } catch (error) {
          if (error instanceof TransferError && error.needsNewUrl) link = await client.download(remote, { version: link.version });
          throw error;
        }
      },
      { signal: options.signal },
    );
  } finally {
    bar.done();
    progress.stop();
  }
  checkDigest(link, hash.digest('hex'));
}

export async function getFiles(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<TransferReport<Downloaded>> {
  const planned = await planDownloads(client, remotes, local, options);
  const downloaded = options.force ? new Set<PlannedDownload>() : await findDownloaded(planned);
  const plans = planned.filter((plan) => !downloaded.has(plan));
  const progress = new Progress(plans.reduce((sum, p) => sum + p.size, 0), options.progress);
  const report: TransferReport<Downloaded> = { done: [...downloaded].map((plan) => ({ ...plan, unchanged: true as const })), failed: [] };
  const small = plans.filter((p) => p.size <= RANGE_SIZE);
  const big = plans.filter((p) => p.size > RANGE_SIZE);
  const limit = createLimiter(options.jobs);
  // Many files share a folder: each waits for the one mkdir of it, made once.
  const folders = new Map<string, Promise<unknown>>();
  const prepare = async (dest: string) => {
    const folder = dirname(dest);
    if (!folders.has(folder)) folders.set(folder, mkdir(folder, { recursive: true }));
    await folders.get(folder);
  };
  const settle = (plan: PlannedDownload, error: unknown) => {
    if (options.signal?.aborted) throw error;
    report.failed.push(new FileError(plan.remote, error));
  };
  try {
    const batches: PlannedDownload[][] = [];
    const perBatch = Math.min(options.batch, MAX_BATCH);
    for (let i = 0; i < small.length; i += perBatch) batches.push(small.slice(i, i + perBatch));
    await runPool(batches, 4, async (batch) => {
      const links = await withRetry(() => client.batchDownloads(batch.map((plan) => ({ path: plan.remote }))), { signal: options.signal });
      await Promise.all(
        batch.map((plan, i) =>
          limit(async () => {
            const link = links[i]!;
            try {
              if ('error' in link) throw new BatchItemError(link.error.code, link.error.message);
              await prepare(plan.local);
              if (link.size <= IN_MEMORY_MAX) {
                await saveSmall(link, plan.local, options.signal);
                report.done.push(plan);
              } else report.done.push({ ...plan, ranges: await saveRanges(client, plan.remote, link, plan.local, options, () => undefined) });
              progress.add(link.size);
            } catch (error) {
              settle(plan, error);
            }
          }),
        ),
      );
    });
    for (const plan of big) {
      const bar = progress.file(plan.remote, plan.size);
      try {
        const link = await client.download(plan.remote);
        await prepare(plan.local);
        const ranges = await saveRanges(client, plan.remote, link, plan.local, options, (bytes) => bar.add(bytes));
        report.done.push({ ...plan, ranges });
      } catch (error) {
        settle(plan, error);
      } finally {
        bar.done();
      }
    }
  } finally {
    progress.stop();
  }
  return report;
}
