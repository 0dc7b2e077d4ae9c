/** Remote paths as people write them, and whether anything lies under one. */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import { withRetry, type RetryOptions } from '../client/retry.ts';
import { shown } from './output.ts';
import { FileError, UsageError } from './transfer.ts';

/**
 * Remote paths are relative to the bucket's top level, which users often write as a leading "/"
 * (`dfs ls /`, `dfs get /docs/a.txt`): every command reads such a path as the same one without it.
 * In NFC, as the server stores names: a path typed decomposed (a Mac's) is compared with and cut
 * from the paths the server lists.
 */
export const remotePath = (arg: string): string => arg.replace(/^\/+/, '').normalize('NFC');

/**
 * A remote path typed on the command line. A "." or ".." name is a usage error, said before
 * anything is sent: no stored path has one, and a URL would resolve it into another path.
 */
export function remoteArg(arg: string): string {
  const path = remotePath(arg);
  if (path.split('/').some((name) => name === '.' || name === '..')) throw new UsageError(`${shown(arg)}: a remote path has no "." or ".." names (the top level is "/")`);
  return path;
}

/** A remote file typed on the command line: not the top level, nor a folder (a trailing "/"), nor an empty name. */
export function remoteFileArg(arg: string): string {
  const path = remoteArg(arg);
  if (path === '') throw new UsageError(`${JSON.stringify(arg)} is the top level: name a file`);
  if (path.endsWith('/')) throw new UsageError(`${shown(arg)}: a file path cannot end in "/"`);
  if (path.includes('//')) throw new UsageError(`${shown(arg)}: a file path has no empty names ("//")`);
  return path;
}

/**
 * `path` without its trailing "/", which names a folder: where a file has the name instead (a
 * file and a folder never share one), rm and mv refuse rather than act on the file.
 */
export async function folderNamed(client: DfsClient, path: string, typed: string): Promise<string> {
  const name = path.replace(/\/+$/, '');
  if (name !== path && (await client.stat(name).then(() => true, () => false))) throw new FileError(typed, new Error(`no such folder (${shown(name)} is a file)`));
  return name;
}

/** True when anything is stored under `folder` (ending in "/"); false when the token may not list, or the API takes it for no path. */
export async function holdsAnything(client: DfsClient, folder: string, retry?: RetryOptions): Promise<boolean> {
  try {
    const page = await withRetry(() => client.list({ prefix: folder, limit: 1 }), retry);
    return page.files.length > 0 || page.folders.length > 0;
  } catch (error) {
    if (cannotList(error) || notAPath(error)) return false;
    throw error;
  }
}

/** A token that may write but not list cannot look before it puts: it sends everything as named. */
export const cannotList = (error: unknown) => error instanceof ApiError && error.status === 403;

/**
 * A prefix the API refuses as a path (a control character in a name) has nothing stored under
 * it: each file bound there fails alone, with its own name, when it is sent.
 */
export const notAPath = (error: unknown) => error instanceof ApiError && error.code === 'invalid_path';
