/** Remote paths as people write them, and whether anything lies under one. */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import { withRetry, type RetryOptions } from '../client/retry.ts';

/**
 * Remote paths are relative to the bucket's top level, which users often write as a leading "/"
 * (`dfs ls /`, `dfs get /docs/a.txt`): every command reads such a path as the same one without it.
 */
export const remotePath = (arg: string): string => arg.replace(/^\/+/, '');

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
