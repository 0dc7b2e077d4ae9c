/**
 * Planned uploads whose content is already the current version at their remote path (same size
 * and SHA-256): a rerun of an interrupted `put -r` then sends only what is missing, and putting
 * the same tree twice makes no identical versions. Only files of the stored size are read, so a
 * fresh upload costs one listing per remote folder and no extra reads.
 */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import type { FileEntry } from '../client/api-types.ts';
import { runPool } from '../client/pool.ts';
import { sha256OfFile } from './hash-pool.ts';

export interface LocalUpload {
  local: string;
  remote: string;
  size: number;
}

export async function findUnchanged<T extends LocalUpload>(client: DfsClient, plans: readonly T[]): Promise<Map<T, FileEntry>> {
  const byFolder = new Map<string, T[]>();
  for (const plan of plans) {
    const folder = plan.remote.slice(0, plan.remote.lastIndexOf('/') + 1);
    const inFolder = byFolder.get(folder);
    if (inFolder) inFolder.push(plan);
    else byFolder.set(folder, [plan]);
  }
  const sameSize: [T, FileEntry][] = [];
  await runPool([...byFolder], 8, async ([folder, inFolder]) => {
    const stored = new Map<string, FileEntry>();
    try {
      for await (const page of client.listAll({ prefix: folder, delimiter: true })) for (const file of page.files) stored.set(file.path, file);
    } catch (error) {
      // A token that may write but not read cannot tell: everything is uploaded.
      if (error instanceof ApiError && error.status === 403) return;
      throw error;
    }
    for (const plan of inFolder) {
      const file = stored.get(plan.remote);
      if (file && file.size === plan.size && file.sha256 !== null) sameSize.push([plan, file]);
    }
  });
  const unchanged = new Map<T, FileEntry>();
  await runPool(sameSize, 4, async ([plan, file]) => {
    if ((await sha256OfFile(plan.local, plan.size)) === file.sha256) unchanged.set(plan, file);
  });
  return unchanged;
}
