/** `dfs put` and `dfs get`: local files and folders to and from the service, many at once. */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ApiError, type DfsClient } from '../client/api-client.ts';
import type { FileEntry } from '../client/api-types.ts';
import { downloadRanges } from '../client/download.ts';
import { runPool } from '../client/pool.ts';
import { uploadFile } from '../client/upload.ts';
import { fileSource, md5Base64, PartFile, resumeStore, sha256OfFile } from './node-io.ts';
import { Progress } from './progress.ts';

const MiB = 1024 * 1024;

export interface TransferOptions {
  recursive: boolean;
  /** Files transferred at once (small files); big files go one at a time, in parallel parts. */
  jobs: number;
  /** Parts or ranges in flight for one big file. */
  parts: number;
  partSize?: number;
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

interface PlannedUpload {
  local: string;
  remote: string;
  size: number;
  mtimeMs: number;
}

const joinRemote = (...parts: string[]) => parts.filter(Boolean).join('/').replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
const toPosix = (path: string) => path.split(sep).join('/');

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function planUploads(locals: string[], remote: string | undefined, recursive: boolean): Promise<PlannedUpload[]> {
  const plans: PlannedUpload[] = [];
  const single = locals.length === 1;
  for (const local of locals) {
    const info = await stat(local).catch(() => null);
    if (!info) throw new FileError(local, new Error('no such file or directory'));
    if (info.isDirectory()) {
      if (!recursive) throw new UsageError(`${local} is a directory (use -r)`);
      const base = basename(resolve(local));
      for (const file of await walk(local)) {
        const fileInfo = await stat(file);
        plans.push({ local: file, remote: joinRemote(remote ?? '', base, toPosix(relative(local, file))), size: fileInfo.size, mtimeMs: fileInfo.mtimeMs });
      }
    } else {
      // One file and a remote not ending in "/" names the file itself; otherwise a folder.
      const target = single && remote && !remote.endsWith('/') ? remote : joinRemote(remote ?? '', basename(local));
      plans.push({ local, remote: target, size: info.size, mtimeMs: info.mtimeMs });
    }
  }
  return plans;
}

export interface Uploaded extends FileEntry {
  /** For multipart uploads: parts sent by this run and parts an interrupted run had sent. */
  parts?: { sent: number; resumed: number; total: number };
}

export async function putFiles(client: DfsClient, locals: string[], remote: string | undefined, options: TransferOptions): Promise<Uploaded[]> {
  const plans = await planUploads(locals, remote, options.recursive);
  const progress = new Progress(plans.reduce((sum, p) => sum + p.size, 0), options.progress);
  const results: Uploaded[] = [];
  const one = async (plan: PlannedUpload) => {
    const bar = progress.file(plan.remote, plan.size);
    try {
      const key = `${client.endpoint}\n${plan.remote}\n${resolve(plan.local)}\n${plan.size}\n${plan.mtimeMs}`;
      let parts: Uploaded['parts'];
      const file = await uploadFile(client, plan.remote, await fileSource(plan.local), {
        partSize: options.partSize,
        concurrency: options.parts,
        md5: md5Base64,
        sha256: () => sha256OfFile(plan.local),
        resume: { store: resumeStore, key },
        onProgress: (bytes) => bar.add(bytes),
        onParts: (report) => (parts = report),
        signal: options.signal,
      });
      results.push(parts ? { ...file, parts } : file);
    } catch (error) {
      throw new FileError(plan.local, error);
    } finally {
      bar.done();
    }
  };
  try {
    const small = plans.filter((p) => p.size <= 16 * MiB);
    const big = plans.filter((p) => p.size > 16 * MiB);
    await runPool(small, options.jobs, one);
    for (const plan of big) await one(plan);
  } finally {
    progress.stop();
  }
  return results;
}

interface PlannedDownload {
  remote: string;
  local: string;
  size: number;
}

async function planDownloads(client: DfsClient, remotes: string[], local: string | undefined, recursive: boolean): Promise<PlannedDownload[]> {
  const plans: PlannedDownload[] = [];
  const target = local ?? '.';
  const targetIsDir = (await stat(target).catch(() => null))?.isDirectory() ?? false;
  for (const remote of remotes.map((r) => r.replace(/\/+$/, ''))) {
    const file = await client.stat(remote).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    });
    if (file) {
      const dest = remotes.length === 1 && !targetIsDir && local !== undefined ? target : join(target, basename(remote));
      plans.push({ remote, local: dest, size: file.size });
      continue;
    }
    if (!recursive) throw new FileError(remote, new Error('no such file (use -r for a folder)'));
    let found = false;
    for await (const page of client.listAll({ prefix: `${remote}/` })) {
      for (const entry of page.files) {
        found = true;
        plans.push({ remote: entry.path, local: join(target, basename(remote), ...entry.path.slice(remote.length + 1).split('/')), size: entry.size });
      }
    }
    if (!found) throw new FileError(remote, new Error('no such file or folder'));
  }
  return plans;
}

export async function getFiles(client: DfsClient, remotes: string[], local: string | undefined, options: TransferOptions): Promise<PlannedDownload[]> {
  const plans = await planDownloads(client, remotes, local, options.recursive);
  const progress = new Progress(plans.reduce((sum, p) => sum + p.size, 0), options.progress);
  const rangeSize = 16 * MiB;
  const one = async (plan: PlannedDownload) => {
    const bar = progress.file(plan.remote, plan.size);
    let part: PartFile | null = null;
    try {
      const link = await client.download(plan.remote);
      await mkdir(dirname(plan.local), { recursive: true });
      part = await PartFile.open(plan.local, link.version, link.size, rangeSize);
      const done = part.done;
      for (const start of done) bar.add(Math.min(rangeSize, link.size - start));
      await downloadRanges(link, part, {
        rangeSize,
        concurrency: options.parts,
        done,
        onRange: (start) => part!.rangeDone(start),
        onProgress: (bytes) => bar.add(bytes),
        refresh: () => client.download(plan.remote, { version: link.version }),
        signal: options.signal,
      });
      await part.close();
      if (link.sha256 !== null) {
        const actual = await sha256OfFile(part.path);
        if (actual !== link.sha256) {
          await part.discard();
          throw new Error(`checksum mismatch: expected sha256 ${link.sha256}, got ${actual}`);
        }
      }
      await part.finish(plan.local);
    } catch (error) {
      throw new FileError(plan.remote, error);
    } finally {
      bar.done();
    }
  };
  try {
    const small = plans.filter((p) => p.size <= rangeSize);
    const big = plans.filter((p) => p.size > rangeSize);
    await runPool(small, options.jobs, one);
    for (const plan of big) await one(plan);
  } finally {
    progress.stop();
  }
  return plans;
}
