/**
 * `dfs get`: files and folders from the service to local files or standard output. Small files
 * come in batches (one API call per hundred links, many GETs at once); big files a few at a time
 * in parallel ranges into a .dfs-part file a rerun continues. Every file's SHA-256 is checked;
 * local files that already hold the content are skipped. A symbolic link named as the
 * destination is followed (one met inside a -r download is refused); a device or a FIFO there
 * is written into, in order.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import { getSystemErrorMessage } from 'node:util';
import { ApiError, type DfsClient } from '../client/api-client.ts';
import type { DownloadLink } from '../client/api-types.ts';
import { BatchItemError } from '../client/batch-upload.ts';
import { downloadRanges } from '../client/download.ts';
import { createLimiter, runPool, type Limiter } from '../client/pool.ts';
import { withRetry, type RetryOptions } from '../client/retry.ts';
import { sharedDestinations } from '../client/shared-destinations.ts';
import { below, destinationAt, foldersThere, openNode, type Destination, type NodeDestination } from './destination.ts';
import { exclusion, type Excluded } from './exclusion.ts';
import { getBytes, getToStream } from './http-transport.ts';
import { shown } from './output.ts';
import { PartFile, sideFileClashes, smallSidePath } from './part-file.ts';
import { Progress, retryNotice } from './progress.ts';
import { replaceFile } from './replace-file.ts';
import { BIG_FILES_IN_FLIGHT, FileError, UsageError, type PlannedTransfer, type TransferOptions, type TransferReport } from './transfer.ts';
import { findDownloaded } from './unchanged.ts';

const MiB = 1024 * 1024;
/** Downloads up to this size are held in memory and hashed inline; larger ones stream to disk. */
const IN_MEMORY_MAX = 256 * 1024;
const RANGE_SIZE = 16 * MiB;
/** Files per listing page (the API's maximum). */
const LIST_PAGE = 1000;

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

interface DownloadPlan {
  /** The destination named, under which every folder made is named by the server. */
  root: string;
  plans: PlannedDownload[];
  /** Remotes that name nothing, or that would write one local file together: reported, the others still come. */
  missing: FileError[];
}

async function planDownloads(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<DownloadPlan> {
  if (local === '') throw new UsageError('the local destination is empty: name a file or a folder ("." for this one)');
  const excluded = excludedWithFolders(options.exclude ?? []);
  const target = local ?? '.';
  // Without its trailing "/", so that a file named "dest/" is found as the file it is.
  const found = await stat(target.length > 1 ? target.replace(/[\\/]+$/, '') : target).catch(() => null);
  const targetIsDir = found?.isDirectory() ?? false;
  // A remote named twice is fetched once, as cp copies a file named twice once.
  const unique = [...new Set(remotes.map((remote) => remote.replace(/\/+$/, '')))];
  // One file and a destination that is no folder and does not end in "/" (which makes one) names the file itself.
  const namesFile = unique.length === 1 && local !== undefined && !targetIsDir && !local.endsWith('/') && !local.endsWith(sep);
  const missing: FileError[] = [];
  const planOne = async (remote: string): Promise<PlannedDownload[]> => {
    const folder = remote === '' ? '' : `${remote}/`;
    const onRetry = retryNotice(remote || '/', options);
    // A listing is not needed once the remote is found to be a file: its tries stop there, and
    // no "trying again" line or wait outlives the need for it.
    const unneeded = new AbortController();
    const listing = { signal: options.signal ? AbortSignal.any([options.signal, unneeded.signal]) : unneeded.signal, onRetry };
    const listPage = (cursor: string | null) => withRetry(() => client.list({ prefix: folder, limit: LIST_PAGE, cursor }), listing);
    // With -r the folder's first page is asked for together with the file: one round trip, not two.
    const firstPage = options.recursive ? listPage(null) : null;
    firstPage?.catch(() => undefined);
    let file;
    try {
      file =
        remote === ''
          ? null
          : await withRetry(() => client.stat(remote), { signal: options.signal, onRetry }).catch((error: unknown) => {
              // A token for a folder may list it but not stat its bare name: with -r, the listing decides.
              if (error instanceof ApiError && (error.status === 404 || (options.recursive && error.status === 403))) return null;
              throw error;
            });
    } finally {
      // A file, or a stat that failed for good: the listing is not needed.
      if (file !== null) unneeded.abort();
    }
    if (file) return [{ remote, local: namesFile ? target : join(target, basename(remote)), size: file.size, sha256: file.sha256 }];
    if (!firstPage) throw new FileError(remote || '/', new Error(remote ? 'no such file (use -r for a folder)' : 'is the top level, a folder (use -r to download everything)'));
    // The top level ("/") lands in the target itself, a folder in a folder of its name there.
    const base = remote === '' ? target : join(target, basename(remote));
    const plans: PlannedDownload[] = [];
    let found = false;
    for (let page = await firstPage; ; page = await listPage(page.nextCursor)) {
      for (const entry of page.files) {
        found = true;
        const inFolder = entry.path.slice(folder.length);
        // The names come from the server: one that is not a plain path inside the folder asked
        // for would be written outside the destination.
        if (!entry.path.startsWith(folder) || !isPlainRelative(inFolder)) {
          missing.push(new FileError(entry.path, new Error('the server listed a name outside the folder asked for, or one no local file may have: not written')));
        } else if (!excluded(inFolder)) plans.push({ remote: entry.path, local: join(base, ...inFolder.split('/')), size: entry.size, sha256: entry.sha256 });
      }
      if (page.nextCursor === null) break;
    }
    if (!found) throw new FileError(remote || '/', new Error('no such file or folder'));
    return plans;
  };
  const planned = await Promise.all(
    unique.map((remote) =>
      planOne(remote).catch((error: unknown) => {
        if (!(error instanceof FileError)) throw error;
        missing.push(error);
        return [];
      }),
    ),
  );
  const plans = planned.flat();
  // What is not written to the destination itself goes inside it: a file there takes nothing in,
  // and each of a folder's files would fail alone on it.
  if (found && !targetIsDir && plans.some((plan) => plan.local !== target)) throw new UsageError(`${shown(target)} is not a folder: name a folder, or a new name, to download into`);
  return { root: target, plans: withoutSideFileClashes(withoutShared(plans, missing), missing), missing };
}

/** Names below a folder, "/"-separated, that stay below it on this system: no empty, "." or ".." segment, no NUL, no other separator. */
function isPlainRelative(path: string): boolean {
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\0') && !(sep === '\\' && /[\\:]/.test(segment)));
}

/**
 * Whether a file of a folder being fetched is left out: put never walks into a folder whose path
 * is excluded, so get leaves out every file under one too. Each folder is tried once.
 */
function excludedWithFolders(patterns: readonly string[]): Excluded {
  const excluded = exclusion(patterns);
  if (patterns.length === 0) return excluded;
  const folders = new Map<string, boolean>();
  const inExcludedFolder = (path: string): boolean => {
    const slash = path.lastIndexOf('/');
    if (slash < 0) return false;
    const folder = path.slice(0, slash);
    let out = folders.get(folder);
    if (out === undefined) folders.set(folder, (out = inExcludedFolder(folder) || excluded(folder)));
    return out;
  };
  return (path) => inExcludedFolder(path) || excluded(path);
}

/** The plans without those that would write one local file (two remotes of one name into one folder). */
function withoutShared(plans: PlannedDownload[], failed: FileError[]): PlannedDownload[] {
  const shared = sharedDestinations(plans, (plan) => plan.local);
  if (shared.size === 0) return plans;
  for (const [local, sharing] of shared) {
    const remotes = sharing.map((plan) => shown(plan.remote));
    const reason = `${remotes.slice(0, -1).join(', ')} and ${remotes.at(-1)} would ${sharing.length === 2 ? 'both' : 'all'} be written to ${shown(local)}`;
    for (const plan of sharing) failed.push(new FileError(plan.remote, new Error(reason)));
  }
  return plans.filter((plan) => !shared.has(plan.local));
}

/**
 * The plans without those of which one would be written over or into a side file of another's
 * download (a remote "f.dfs-part" beside "f"): neither goes, whatever their sizes, each failing
 * with a line naming the other. One line a file: one in two such pairs names the first.
 */
function withoutSideFileClashes(plans: PlannedDownload[], failed: FileError[]): PlannedDownload[] {
  const clashes = sideFileClashes(plans.map((plan) => plan.local));
  if (clashes.size === 0) return plans;
  const byLocal = new Map(plans.map((plan) => [plan.local, plan]));
  const out = new Set<PlannedDownload>();
  const fail = (plan: PlannedDownload, reason: string) => {
    if (out.has(plan)) return;
    out.add(plan);
    failed.push(new FileError(plan.remote, new Error(`${reason}: neither is downloaded; get the two into different folders`)));
  };
  for (const [local, { owner, side }] of clashes) {
    const plan = byLocal.get(local)!;
    const ownerPlan = byLocal.get(owner)!;
    fail(plan, `${side === local ? shown(local) : `${shown(local)} is in ${shown(side)}, which`} is a side file the download of ${shown(ownerPlan.remote)} keeps beside ${shown(owner)}`);
    fail(ownerPlan, `its download keeps a side file at ${shown(side)}, where ${shown(plan.remote)} would be written`);
  }
  return plans.filter((plan) => !out.has(plan));
}

/**
 * Written beside its destination, then renamed: a failed download never leaves a half file under
 * the real name. A link that expired before its turn is asked for again.
 */
async function saveSmall(
  client: DfsClient,
  remote: string,
  link: DownloadLink,
  { file: dest, there }: { file: string; there?: Stats },
  onRetry: RetryOptions['onRetry'],
  { signal, outage }: RunControl,
): Promise<void> {
  let url = link.url;
  const renew = async () => {
    url = (await client.download(remote, { version: link.version })).url;
  };
  const bytes = await withRetry(() => getBytes(url, link.size, signal), { signal, outage, onRetry, renew });
  checkDigest(link, createHash('sha256').update(bytes).digest('hex'));
  replaceFile(dest, bytes, { aside: smallSidePath(dest), replacing: there });
}

function checkDigest(link: DownloadLink, actual: string): void {
  if (link.sha256 !== null && actual !== link.sha256) throw new Error(`checksum mismatch: expected sha256 ${link.sha256}, got ${actual}`);
}

/** What stops a run, and what watches its requests to the store. */
type RunControl = Pick<TransferOptions, 'signal' | 'outage'>;

/** What one file's transfer tells its progress bar. */
interface FileProgress {
  onBytes: (bytes: number) => void;
  onRetry: RetryOptions['onRetry'];
}

/** Parallel ranges into a .dfs-part file that a rerun continues, SHA-256 verified before the rename. */
async function saveRanges(
  client: DfsClient,
  remote: string,
  link: DownloadLink,
  { file: dest, there }: { file: string; there?: Stats },
  options: TransferOptions,
  progress: FileProgress,
  rangeLimit?: Limiter,
): Promise<RangeCounts> {
  const part = await PartFile.open(dest, link.version, link.size, RANGE_SIZE, there);
  const total = Math.ceil(link.size / RANGE_SIZE);
  const resumed = part.done.size;
  for (const start of part.done) progress.onBytes(Math.min(RANGE_SIZE, link.size - start));
  try {
    await downloadRanges(link, part, {
      rangeSize: RANGE_SIZE,
      concurrency: options.parts,
      rangeLimit,
      done: part.done,
      onRange: (start) => part.rangeDone(start),
      onProgress: progress.onBytes,
      refresh: () => client.download(remote, { version: link.version }),
      onRetry: progress.onRetry,
      signal: options.signal,
      outage: options.outage,
    });
    // Still this process's until renamed or discarded: no other run takes it over meanwhile.
    const actual = await part.sha256();
    if (link.sha256 !== null && actual !== link.sha256) {
      await part.discard();
      checkDigest(link, actual);
    }
  } catch (error) {
    // With no range finished, the part file holds nothing a rerun could use. Either way the
    // failure reported is the transfer's, not a cleanup's.
    await (part.done.size === 0 ? part.discard() : part.close()).catch(() => undefined);
    throw error;
  }
  await part.finish(dest);
  return { fetched: total - resumed, resumed, total };
}

/** One remote file to standard output: see streamFile. */
export async function getToStandardOutput(client: DfsClient, remote: string, out: NodeJS.WritableStream, options: TransferOptions): Promise<void> {
  try {
    const link = await withRetry(() => client.download(remote), { signal: options.signal, onRetry: retryNotice(remote, options) });
    const progress = new Progress(link.size, options);
    const bar = progress.file(remote, link.size);
    try {
      await streamFile(client, remote, link, out, { onBytes: (bytes) => bar.add(bytes), onRetry: progress.retrying(remote) }, options);
    } finally {
      bar.done();
      progress.stop();
    }
  } catch (error) {
    throw new FileError(remote, error);
  }
}

/**
 * One remote file into a stream (standard output, a device, a FIFO), in order, SHA-256 verified
 * at the end. A failed try continues from the last byte written, with a fresh link if the old
 * one expired. Bytes already written cannot be taken back: a mismatch is reported, and the exit
 * code says so.
 */
async function streamFile(client: DfsClient, remote: string, first: DownloadLink, out: NodeJS.WritableStream, progress: FileProgress, { signal, outage }: RunControl): Promise<void> {
  let link = first;
  const hash = createHash('sha256');
  let written = 0;
  const renew = async () => {
    link = await client.download(remote, { version: link.version });
  };
  await withRetry(
    () =>
      getToStream(link.url, written, link.size, out, (chunk) => {
        hash.update(chunk);
        written += chunk.length;
        progress.onBytes(chunk.length);
      }, signal),
    { signal, outage, onRetry: progress.onRetry, renew },
  );
  checkDigest(link, hash.digest('hex'));
}

/**
 * Into a device or a FIFO, as to standard output: nothing beside it, no rename, and nothing a
 * rerun continues from.
 */
async function saveInto(client: DfsClient, remote: string, link: DownloadLink, node: NodeDestination, progress: FileProgress, run: RunControl): Promise<void> {
  const out = await openNode(node, run.signal);
  // A failed write reaches the transfer through its callback; an unheard 'error' would end the process.
  out.on('error', () => undefined);
  try {
    await streamFile(client, remote, link, out, progress, run);
    out.end();
    await finished(out);
  } finally {
    out.destroy();
  }
}

export async function planGet(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<TransferReport<PlannedTransfer>> {
  const { root, plans, missing } = await planDownloads(client, remotes, local, options);
  const { present } = await sortDownloads(plans, foldersThere(plans, root), options);
  return { done: plans.map((plan) => ({ local: plan.local, remote: plan.remote, size: plan.size, action: present.has(plan) ? 'unchanged' : 'download' })), failed: missing };
}

/** The plans to fetch, and those whose local destination already holds their content. */
async function sortDownloads(planned: PlannedDownload[], there: ReadonlyMap<string, boolean>, options: TransferOptions) {
  const present = options.force ? new Set<PlannedDownload>() : await findDownloaded(planned, there);
  return { fetch: planned.filter((plan) => !present.has(plan)), present };
}

export async function getFiles(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<TransferReport<Downloaded>> {
  const { root, plans: planned, missing } = await planDownloads(client, remotes, local, options);
  // Which destination folders are there, looked at once, before anything is made.
  const there = foldersThere(planned, root);
  const { fetch: plans, present } = await sortDownloads(planned, there, options);
  const progress = new Progress(plans.reduce((sum, p) => sum + p.size, 0), options);
  // Each file's outcome by its plan: the report lists them in the order planned, however they finished.
  const done = new Map<PlannedDownload, Downloaded>([...present].map((plan) => [plan, { ...plan, unchanged: true as const }]));
  const failed: FileError[] = [...missing];
  const small = plans.filter((p) => p.size <= RANGE_SIZE);
  const big = plans.filter((p) => p.size > RANGE_SIZE);
  const limit = createLimiter(options.jobs);
  // Many files share a folder: each waits for the one mkdir of a folder not there, made once. A
  // folder that was not there holds nothing yet: only a destination in one that was is looked at.
  const folders = new Map<string, Promise<unknown>>();
  const prepare = async (dest: string): Promise<Destination> => {
    const folder = dirname(dest);
    if (there.get(folder)) return destinationAt(dest, options.recursive === true && below(root, dest));
    if (!folders.has(folder)) folders.set(folder, mkdir(folder, { recursive: true }));
    await folders.get(folder);
    return { file: dest };
  };
  // The link names the version current when it was asked for, maybe newer than the listing's:
  // the report describes the bytes written.
  const written = (plan: PlannedDownload, link: DownloadLink): PlannedDownload => ({ ...plan, size: link.size, sha256: link.sha256 });
  /** Writes a file from its link: into a device, FIFO or link in place, a small one from memory, any other in ranges a rerun continues. */
  const save = async (plan: PlannedDownload, link: DownloadLink, onFile: FileProgress, rangeLimit?: Limiter): Promise<Downloaded> => {
    const where = await prepare(plan.local);
    if ('node' in where) await saveInto(client, plan.remote, link, where, onFile, options);
    else if (link.size <= IN_MEMORY_MAX) await saveSmall(client, plan.remote, link, where, onFile.onRetry, options);
    else return { ...written(plan, link), ranges: await saveRanges(client, plan.remote, link, where, options, onFile, rangeLimit) };
    return written(plan, link);
  };
  const settle = (plan: PlannedDownload, error: unknown) => failed.push(new FileError(plan.remote, asFolderFailure(plan.local, error)));
  try {
    const batches: PlannedDownload[][] = [];
    // --batch is at most what one API request takes (checked where it is read).
    for (let i = 0; i < small.length; i += options.batch) batches.push(small.slice(i, i + options.batch));
    await runPool(batches, 4, async (batch) => {
      // Stopped: the batches not begun fail with the reason, and ask the API for nothing.
      if (options.signal?.aborted) {
        for (const plan of batch) settle(plan, options.signal.reason);
        return;
      }
      let links: Awaited<ReturnType<DfsClient['batchDownloads']>>;
      try {
        links = await withRetry(() => client.batchDownloads(batch.map((plan) => ({ path: plan.remote }))), {
          signal: options.signal,
          onRetry: progress.retrying('a batch of small files'),
        });
      } catch (error) {
        // Stopped (an outage) while the links were asked for: as for the batches not begun. Any
        // other failure (the API down) ends the run.
        if (!options.signal?.aborted) throw error;
        for (const plan of batch) settle(plan, error);
        return;
      }
      await Promise.all(
        batch.map((plan, i) =>
          limit(async () => {
            const link = links[i]!;
            try {
              if ('error' in link) throw new BatchItemError(link.error.code, link.error.message);
              done.set(plan, await save(plan, link, { onBytes: () => undefined, onRetry: progress.retrying(plan.remote) }));
              progress.add(link.size);
            } catch (error) {
              settle(plan, error);
            }
          }),
        ),
      );
    });
    const rangeLimit = createLimiter(options.parts);
    await runPool(big, BIG_FILES_IN_FLIGHT, async (plan) => {
      const bar = progress.file(plan.remote, plan.size);
      try {
        options.signal?.throwIfAborted();
        const link = await withRetry(() => client.download(plan.remote), { signal: options.signal, onRetry: progress.retrying(plan.remote) });
        done.set(plan, await save(plan, link, { onBytes: (bytes: number) => bar.add(bytes), onRetry: progress.retrying(plan.remote) }, rangeLimit));
      } catch (error) {
        settle(plan, error);
      } finally {
        bar.done();
      }
    });
  } finally {
    progress.stop();
  }
  return { done: planned.flatMap((plan) => done.get(plan) ?? []), failed };
}

/**
 * A failure at a file dfs keeps beside `local` (its `.dfs-part`, state or lock) is the folder's:
 * said as such (the folder removed under a running download, one that cannot be written), not
 * by the side file's name, which the user never asked for.
 */
function asFolderFailure(local: string, error: unknown): unknown {
  const { path, errno } = error as NodeJS.ErrnoException;
  if (typeof path !== 'string' || errno === undefined || path === local || dirname(path) !== dirname(local)) return error;
  return new Error(`cannot write in ${shown(dirname(local))}: ${getSystemErrorMessage(errno)}`);
}
