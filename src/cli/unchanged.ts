/**
 * Transfers that need not happen because the content is already where it is going (same size
 * and SHA-256): a rerun of an interrupted `put -r` or `get -r` then moves only what is missing,
 * and putting the same tree twice makes no identical versions. Only files of the right size are
 * read.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DfsClient } from '../client/api-client.ts';
import type { FileEntry } from '../client/api-types.ts';
import { runPool } from '../client/pool.ts';
import { withRetry, type RetryOptions } from '../client/retry.ts';
import { sha256OfFile } from './hash-pool.ts';
import { cannotList, holdsAnything, notAPath } from './remote-path.ts';

export interface LocalUpload {
  local: string;
  remote: string;
  size: number;
}

/**
 * Planned uploads whose content is already the current version at their remote path. A put into
 * a fresh place costs one request, any other one listing per remote folder, of the names there
 * starting as the planned ones all do: one file put into a folder of a million costs one page.
 */
export async function findUnchanged<T extends LocalUpload>(client: DfsClient, plans: readonly T[], retry: RetryOptions): Promise<Map<T, FileEntry>> {
  const unchanged = new Map<T, FileEntry>();
  const byFolder = new Map<string, T[]>();
  for (const plan of plans) {
    const folder = plan.remote.slice(0, plan.remote.lastIndexOf('/') + 1);
    const inFolder = byFolder.get(folder);
    if (inFolder) inFolder.push(plan);
    else byFolder.set(folder, [plan]);
  }
  // A tree put into a fresh place (the usual case) costs one request, whatever its folders; one
  // folder's files cost their one listing anyway.
  const common = commonFolder(plans.map((plan) => plan.remote));
  if (byFolder.size > 1 && common !== '' && !(await holdsAnything(client, common, retry))) return unchanged;
  const sameSize: [T, FileEntry][] = [];
  await runPool([...byFolder], 8, async ([folder, inFolder]) => {
    const stored = new Map<string, FileEntry>();
    const prefix = folder + sharedStart(inFolder.map((plan) => plan.remote.slice(folder.length)));
    try {
      for await (const page of client.listAll({ prefix, delimiter: true }, (fetch) => withRetry(fetch, retry))) for (const file of page.files) stored.set(file.path, file);
    } catch (error) {
      if (cannotList(error) || notAPath(error)) return;
      throw error;
    }
    for (const plan of inFolder) {
      const file = stored.get(plan.remote);
      if (file && file.size === plan.size && file.sha256 !== null) sameSize.push([plan, file]);
    }
  });
  await runPool(sameSize, 4, async ([plan, file]) => {
    if ((await sha256OfFile(plan.local, plan.size)) === file.sha256) unchanged.set(plan, file);
  });
  return unchanged;
}

/** The longest start the names share, never ending inside a character (a half surrogate pair would not be sent as itself). */
function sharedStart(names: string[]): string {
  let end = names[0]!.length;
  for (const name of names) while (!name.startsWith(names[0]!.slice(0, end))) end--;
  if (end > 0 && /[\uD800-\uDBFF]/.test(names[0]![end - 1]!)) end--;
  return names[0]!.slice(0, end);
}

/** The deepest folder ("a/b/") holding every path, or "" for the top level. */
function commonFolder(paths: string[]): string {
  let common = paths[0]?.slice(0, paths[0].lastIndexOf('/') + 1) ?? '';
  for (const path of paths) while (!path.startsWith(common)) common = common.slice(0, common.lastIndexOf('/', common.length - 2) + 1);
  return common;
}

export interface LocalDownload {
  local: string;
  size: number;
  sha256: string | null;
}

/**
 * Planned downloads whose destination already holds their content. Only a destination in a
 * folder that is there (`there`, from foldersThere: one look per folder) is looked at.
 */
export async function findDownloaded<T extends LocalDownload>(plans: readonly T[], there: ReadonlyMap<string, boolean>): Promise<Set<T>> {
  const downloaded = new Set<T>();
  await runPool(plans, 16, async (plan) => {
    if (plan.sha256 === null || !there.get(dirname(plan.local))) return;
    const info = await stat(plan.local).catch(() => null);
    if (!info?.isFile() || info.size !== plan.size) return;
    // A file that cannot be read here is simply downloaded again.
    if ((await sha256OfFile(plan.local, plan.size).catch(() => null)) === plan.sha256) downloaded.add(plan);
  });
  return downloaded;
}
