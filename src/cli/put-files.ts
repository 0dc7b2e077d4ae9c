/**
 * `dfs put`: local files and folders to the service. Small files go in batches (a few API calls
 * for a thousand files, many PUTs at once); big files a few at a time in parallel parts,
 * resumable. Files whose content is already stored at their path are skipped.
 */
import { createWriteStream, lstatSync, readdirSync, realpathSync, rmSync, statSync, type Dirent, type Stats } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { getSystemErrorMessage } from 'node:util';
import type { DfsClient } from '../client/api-client.ts';
import type { FileEntry } from '../client/api-types.ts';
import { uploadMany } from '../client/batch-upload.ts';
import { createLimiter, runPool } from '../client/pool.ts';
import { sharedDestinations } from '../client/shared-destinations.ts';
import { DEFAULT_MULTIPART_THRESHOLD, uploadFile } from '../client/upload.ts';
import { MAX_PATH_BYTES, normalizeNewPath } from '../core/paths.ts';
import { exclusion, type Excluded } from './exclusion.ts';
import { startHashWorkers } from './hash-pool.ts';
import { hashedOnWorkers, localFile } from './local-file.ts';
import { shown } from './output.ts';
import { Progress, retryNotice } from './progress.ts';
import { holdsAnything } from './remote-path.ts';
import { resumeStore } from './resume-store.ts';
import { BIG_FILES_IN_FLIGHT, FileError, UsageError, type PlannedTransfer, type TransferOptions, type TransferReport } from './transfer.ts';
import { findUnchanged } from './unchanged.ts';

interface PlannedUpload {
  local: string;
  remote: string;
  size: number;
  mtimeMs: number;
  /** How lines name it when not by `local`: a stream, not the copy of it that is sent. */
  name?: string;
}

const nameOf = (plan: PlannedUpload) => plan.name ?? plan.local;

// In NFC, as the server stores every path: a name spelled in NFD (as macOS file systems may
// give it) must meet its stored self when unchanged files are looked for.
const joinRemote = (...parts: string[]) =>
  parts.filter(Boolean).join('/').replace(/\/+/g, '/').replace(/^\/|\/$/g, '').normalize('NFC');
const toPosix = (path: string) => path.split(sep).join('/');

interface LocalFile {
  path: string;
  /** Its path inside the folder walked, with "/" between names. */
  inFolder: string;
  size: number;
  mtimeMs: number;
}

/**
 * Files under `root`, not descending into excluded folders. Symbolic links are followed (a store
 * keeps no links, so the content is what a user means), except to a folder the walk is already
 * inside. A link to nothing, or a file gone before it could be looked at, is a failure of its
 * own. Synchronous, like the CLI's reads: a stat through the thread pool costs two thread hops
 * and a promise, and every file's at once held them all in memory (20,000 files: 260-410 ms and a
 * 98 MiB heap, against 80-90 ms and 16 MiB one after the other).
 */
function walk(root: string, excluded: Excluded, missing: FileError[], dir = root, inside: ReadonlySet<string> = new Set()): LocalFile[] {
  let real: string;
  let entries: Dirent[];
  try {
    real = realpathSync(dir);
    if (inside.has(real)) return [];
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    // A folder that cannot be read (no permission, gone meanwhile) fails alone, as a file does.
    missing.push(new FileError(dir, new Error(unreadable(dir) ?? `cannot read the folder: ${withoutPath(error as NodeJS.ErrnoException)}`)));
    return [];
  }
  const path = new Set(inside).add(real);
  // In the order of the paths, as ls and get list them ("sub-x" before "sub/z"), so a tree goes
  // up (and is reported) the same way on every run and system.
  const keyed = entries.map((entry) => ({ entry, key: entry.isDirectory() ? `${entry.name}/` : entry.name }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // No path the server takes is this deep: the folder fails alone, and the walk stays far from
  // the stack's end (a tree 1,500 folders deep overflowed it, failing the whole put).
  const walkInto = (folder: string, inFolder: string): LocalFile[] => {
    if (Buffer.byteLength(inFolder) < MAX_PATH_BYTES) return walk(root, excluded, missing, folder, path);
    missing.push(new FileError(folder, new Error(`deeper than any path the server takes (${MAX_PATH_BYTES} bytes): nothing under it is sent`)));
    return [];
  };
  return keyed.flatMap(({ entry }): LocalFile[] => {
    const full = join(dir, entry.name);
    const inFolder = toPosix(relative(root, full));
    if (excluded(inFolder)) return [];
    if (entry.isDirectory()) return walkInto(full, inFolder);
    const info = entry.isFile() || entry.isSymbolicLink() ? statOrNull(full) : null;
    if (!info && (entry.isFile() || entry.isSymbolicLink())) {
      missing.push(new FileError(full, new Error(unreadable(full) ?? (entry.isSymbolicLink() ? 'broken symbolic link' : 'gone before it could be read'))));
      return [];
    }
    if (info?.isDirectory()) return walkInto(full, inFolder);
    if (info?.isFile()) return [{ path: full, inFolder, size: info.size, mtimeMs: info.mtimeMs }];
    // A pipe, socket or device in a folder fails alone, as one named among other files does.
    missing.push(new FileError(full, new Error(NOT_A_FILE)));
    return [];
  });
}

/**
 * Why a name listed or typed cannot be opened, when it is its bytes: Node reads a name that is
 * not UTF-8 with U+FFFD in place of what it could not decode, a name no file on disk has (and
 * no stored path could take). Null for any other cause.
 */
function unreadable(path: string): string | null {
  // A name truly holding U+FFFD (valid UTF-8) is there on disk: its failure has another cause.
  if (!path.includes('\uFFFD') || lstatSync(path, { throwIfNoEntry: false })) return null;
  return 'its name is not valid UTF-8, which no stored path can be: rename it to send it';
}

/** Why a pipe, socket or device among files is not sent: it has no size to declare up front. */
const NOT_A_FILE = 'is a pipe or a device: send it alone, to a named remote file';

/** "EACCES: permission denied, scandir 'a/b'" as "permission denied": the line names the folder already. */
const withoutPath = (error: NodeJS.ErrnoException) => (error.errno === undefined ? error.message : getSystemErrorMessage(error.errno));

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The hashing workers boot (~70 ms) as soon as a put needs them, while the API is asked about the files (not for a dry run). */
function bootHashingFor(files: { size: number }[]): void {
  if (files.some((file) => hashedOnWorkers(file.size))) startHashWorkers();
}

interface UploadPlan {
  plans: PlannedUpload[];
  /** Files named or found but not there to read (a wrong name, a broken link): reported, the others still go. */
  missing: FileError[];
}

async function planUploads(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<UploadPlan> {
  const plans: PlannedUpload[] = [];
  const missing: FileError[] = [];
  const single = locals.length === 1;
  const namesFile = single && remote !== undefined && remote !== '' && !remote.endsWith('/');
  for (const local of locals) {
    const info = await stat(local).catch(() => null);
    if (!info) {
      missing.push(new FileError(local, new Error(unreadable(local) ?? 'no such file or directory')));
      continue;
    }
    if (!info.isFile() && !info.isDirectory()) {
      missing.push(new FileError(local, new Error(NOT_A_FILE)));
    } else if (info.isDirectory()) {
      if (!options.recursive) throw new UsageError(`${shown(local)} is a directory (use -r)`);
      // "." (or "dir/.") is the folder's content, as cp -r and rsync take it: `put -r . backups/`
      // fills backups/, not backups/<name of the current folder>/.
      const base = basename(local) === '.' ? '' : basename(resolve(local));
      const files = walk(local, exclusion(options.exclude ?? []), missing);
      for (const file of files) plans.push({ local: file.path, remote: joinRemote(remote ?? '', base, file.inFolder), size: file.size, mtimeMs: file.mtimeMs });
    } else {
      // One file and a remote not ending in "/" names the file itself, unless that is a folder
      // (as cp does).
      const target = namesFile && !(await holdsAnything(client, `${remote}/`, { onRetry: retryNotice(remote, options) })) ? joinRemote(remote) : joinRemote(remote ?? '', basename(local));
      plans.push({ local, remote: target, size: info.size, mtimeMs: info.mtimeMs });
    }
  }
  return { plans: withoutCollisions(plans, missing), missing };
}

/**
 * Local files bound for one remote path (two arguments with one name, or a name in both Unicode
 * forms). One file named twice for one destination (`a.txt ./a.txt`, overlapping globs) is one
 * plan, as cp copies it once.
 */
function withoutCollisions(planned: PlannedUpload[], missing: FileError[]): PlannedUpload[] {
  const seen = new Set<string>();
  const plans = planned.filter((plan) => {
    const key = `${resolve(plan.local)}\n${plan.remote}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const shared = sharedDestinations(plans, (plan) => plan.remote);
  if (shared.size === 0) return plans;
  for (const [remote, same] of shared) {
    for (const plan of same) {
      const others = same.filter((other) => other !== plan).map((other) => shown(other.local));
      missing.push(new FileError(plan.local, new Error(`${others.join(', ')} would go to ${shown(remote)} too: none of them is sent`)));
    }
  }
  return plans.filter((plan) => !shared.has(plan.remote));
}

export interface Uploaded extends FileEntry {
  /** For multipart uploads: parts sent by this run and parts an interrupted run had sent. */
  parts?: { sent: number; resumed: number; total: number };
  /** Not sent: this content already is the current version at this path. */
  unchanged?: true;
}

export async function putFiles(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<TransferReport<Uploaded>> {
  const { plans, missing } = await planUploads(client, locals, remote, options);
  const report = await putPlanned(client, plans, options);
  return { ...report, failed: [...missing, ...report.failed] };
}

export async function planPut(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<TransferReport<PlannedTransfer>> {
  const { plans: planned, missing } = await planUploads(client, locals, remote, options);
  // A name the server would refuse (a control character, a segment too long) is said now, as
  // the put would say it, rather than promised as an upload.
  const plans = planned.filter((plan) => {
    try {
      normalizeNewPath(plan.remote);
      return true;
    } catch (error) {
      missing.push(new FileError(nameOf(plan), error));
      return false;
    }
  });
  const { unchanged } = await sortUploads(client, plans, options);
  return { done: plans.map((plan) => ({ local: plan.local, remote: plan.remote, size: plan.size, action: unchanged.has(plan) ? 'unchanged' : 'upload' })), failed: missing };
}

/** The plans to send, and those whose content already is the current version at their path. */
async function sortUploads(client: DfsClient, planned: PlannedUpload[], options: TransferOptions) {
  const unchanged = options.force ? new Map<PlannedUpload, FileEntry>() : await findUnchanged(client, planned, { onRetry: retryNotice('looking at the destination', options) });
  return { send: planned.filter((plan) => !unchanged.has(plan)), unchanged };
}

/**
 * A stream (standard input, a pipe) to one remote file, named in lines as `name`. The API takes
 * a file's size up front and a failed part is sent again, so the input is first copied to a
 * temporary file (under TMPDIR), removed after.
 */
export async function putStream(client: DfsClient, input: NodeJS.ReadableStream, name: string, remote: string, options: TransferOptions): Promise<TransferReport<Uploaded>> {
  const folder = await mkdtemp(join(tmpdir(), 'dfs-stdin-'));
  // Ctrl-C ends the process without unwinding this function: the copy goes on exit either way.
  const removeCopy = () => rmSync(folder, { recursive: true, force: true });
  process.once('exit', removeCopy);
  try {
    const spool = join(folder, 'stdin');
    await pipeline(input, createWriteStream(spool));
    const info = await stat(spool);
    // A rerun reads the stream afresh into another copy: nothing of this one can resume.
    return await putPlanned(client, [{ local: spool, remote, size: info.size, mtimeMs: info.mtimeMs, name }], options, false);
  } finally {
    process.off('exit', removeCopy);
    removeCopy();
  }
}

async function putPlanned(client: DfsClient, planned: PlannedUpload[], options: TransferOptions, resumable = true): Promise<TransferReport<Uploaded>> {
  bootHashingFor(planned);
  const { send: plans, unchanged } = await sortUploads(client, planned, options);
  const progress = new Progress(plans.reduce((sum, p) => sum + p.size, 0), options);
  // Each file's outcome by its plan: the report lists them in the order given, however they finished.
  const done = new Map<PlannedUpload, Uploaded>([...unchanged].map(([plan, file]) => [plan, { ...file, unchanged: true as const }]));
  const failed: FileError[] = [];
  const small = plans.filter((p) => p.size <= DEFAULT_MULTIPART_THRESHOLD);
  const big = plans.filter((p) => p.size > DEFAULT_MULTIPART_THRESHOLD);
  try {
    const outcomes = await uploadMany(
      client,
      small.map((plan) => ({ path: plan.remote, io: localFile(plan.local, plan.size) })),
      {
        concurrency: options.jobs,
        batchSize: options.batch,
        onProgress: (bytes) => progress.add(bytes),
        onRetry: (error, attempt, index) => progress.retrying(index === undefined ? 'a batch of small files' : nameOf(small[index]!))(error, attempt),
        signal: options.signal,
        outage: options.outage,
      },
    );
    outcomes.forEach((outcome, i) => {
      if (outcome instanceof Error) failed.push(new FileError(nameOf(small[i]!), outcome));
      else done.set(small[i]!, outcome);
    });
    // Several big files at once, their parts in flight limited together: the store stays busy
    // while one file is created or completed, which matters most for many mid-sized files.
    const partLimit = createLimiter(options.parts);
    await runPool(big, BIG_FILES_IN_FLIGHT, async (plan) => {
      const bar = progress.file(plan.remote, plan.size);
      try {
        const key = `${client.endpoint}\n${plan.remote}\n${resolve(plan.local)}`;
        let parts: Uploaded['parts'];
        const file = await uploadFile(client, plan.remote, localFile(plan.local, plan.size, plan.mtimeMs), {
          partSize: options.partSize,
          concurrency: options.parts,
          partLimit,
          // What cannot be resumed is aborted on the server when it fails (a Ctrl-C ends the process first; the upload then expires there).
          ...(resumable ? { resume: { store: resumeStore, key, source: `${plan.size}\n${plan.mtimeMs}` } } : { abortOnFailure: true }),
          onProgress: (bytes) => bar.add(bytes),
          onParts: (counts) => (parts = counts),
          onRetry: progress.retrying(nameOf(plan)),
          signal: options.signal,
          outage: options.outage,
        });
        done.set(plan, parts ? { ...file, parts } : file);
      } catch (error) {
        failed.push(new FileError(nameOf(plan), error));
      } finally {
        bar.done();
      }
    });
  } finally {
    progress.stop();
  }
  return { done: planned.flatMap((plan) => done.get(plan) ?? []), failed };
}
