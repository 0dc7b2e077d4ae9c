/**
 * `dfs cp -r`: a folder copied file by file through `POST /v1/copy`, which copies one file and
 * shares its stored bytes, so no byte moves whatever the folder holds.
 */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import type { FileEntry } from '../client/api-types.ts';
import { runPool } from '../client/pool.ts';
import { withRetry } from '../client/retry.ts';
import { shown } from './output.ts';
import { retryNotice } from './progress.ts';
import { cannotList } from './remote-path.ts';
import { FileError, UsageError } from './transfer.ts';

/** Copies in flight: each is one small API call, so the round trips overlap rather than queue. */
const COPIES_IN_FLIGHT = 8;

/** A refusal for the token's scope or prefix names no path: either end of a move or copy may be the one out of reach. */
export const namingBothEnds = (from: string, to: string) => (error: unknown): never => {
  if (error instanceof ApiError && error.code === 'forbidden') throw new FileError(`${from} -> ${to}`, error);
  throw error;
};

/** A destination that already exists is replaced with -f: say so where the API cannot. */
export const suggestForce = (force: boolean | undefined) => (error: unknown): never => {
  if (force !== true && error instanceof ApiError && error.reason === 'target_exists') {
    throw new ApiError(error.status, error.code, `${error.message} (use -f to replace it)`, error.reason);
  }
  throw error;
};

export interface FolderCopy {
  copied: FileEntry[];
  /** Destinations that already held the same content (the SHA-256 the index records): a rerun after a failure copies only the rest. */
  unchanged: string[];
  failed: FileError[];
}

/**
 * Copies every file under `from/` to the same place under `to/`. Each file is copied alone
 * (each copy atomic, not the folder's): a failure is listed with its file and the others go on.
 * Listings and copies the API fails for a moment (network, 5xx) are tried again, as a
 * transfer's calls are.
 */
export async function copyFolder(
  api: DfsClient,
  from: string,
  to: string,
  options: { overwrite: boolean; quiet: boolean },
): Promise<FolderCopy> {
  // Said before anything is sent, as a path typed wrong is.
  if (from === '' || to === from || to.startsWith(`${from}/`)) throw new UsageError(`cannot copy ${from === '' ? 'the top level' : shown(from)} into itself`);
  const sources = await filesUnder(api, from, options);
  if (sources.length === 0) throw new FileError(from, new Error('no such folder'));
  const stored = await storedDigests(api, to, options);
  const outcomes: (FileEntry | string | FileError)[] = [];
  // A refused token, one without the scope or the prefix for it, or an API out of reach fails
  // every copy alike: the first one ends the run (runPool starts no more).
  await runPool(sources, COPIES_IN_FLIGHT, async (source, i) => {
    const destination = `${under(to)}${source.path.slice(from.length + 1)}`;
    if (source.sha256 !== null && stored.get(destination) === source.sha256) {
      outcomes[i] = destination;
      return;
    }
    try {
      outcomes[i] = await copyOnce(api, source, destination, options).catch(suggestForce(options.overwrite));
    } catch (error) {
      if (error instanceof ApiError && ['unauthorized', 'network', 'forbidden'].includes(error.code)) namingBothEnds(source.path, destination)(error);
      outcomes[i] = new FileError(source.path, error);
    }
  });
  // In the listing's order, however the copies finished.
  return {
    copied: outcomes.filter((o): o is FileEntry => typeof o === 'object' && !(o instanceof FileError)),
    unchanged: outcomes.filter((o): o is string => typeof o === 'string'),
    failed: outcomes.filter((o): o is FileError => o instanceof FileError),
  };
}

/** A folder as a prefix: the top level is "". */
const under = (folder: string) => (folder === '' ? '' : `${folder}/`);

/**
 * One file's copy, tried again while the API fails for a moment. A try whose answer was lost may
 * have committed: the next then finds the destination taken, which is this copy when it holds the
 * source's content (a copy shares its SHA-256), not a file of someone else's.
 */
async function copyOnce(api: DfsClient, source: FileEntry, destination: string, options: { overwrite: boolean; quiet: boolean }): Promise<FileEntry> {
  let tried = false;
  return withRetry(async () => {
    try {
      return await api.copy(source.path, destination, options.overwrite);
    } catch (error) {
      if (!tried || !(error instanceof ApiError && error.reason === 'target_exists') || source.sha256 === null) throw error;
      const there = await api.stat(destination).catch(() => null);
      if (there?.sha256 !== source.sha256) throw error;
      return there;
    } finally {
      tried = true;
    }
  }, { onRetry: retryNotice(`${source.path} -> ${destination}`, options) });
}

async function filesUnder(api: DfsClient, folder: string, options: { quiet: boolean }): Promise<FileEntry[]> {
  const files: FileEntry[] = [];
  const retry = { onRetry: retryNotice(`listing ${folder || '/'}`, options) };
  for await (const page of api.listAll({ prefix: under(folder) }, (next) => withRetry(next, retry))) files.push(...page.files);
  return files;
}

/** What the destination holds already, by path; nothing when the token may not list there (each copy then says for itself). */
async function storedDigests(api: DfsClient, folder: string, options: { quiet: boolean }): Promise<Map<string, string | null>> {
  try {
    return new Map((await filesUnder(api, folder, options)).map((file) => [file.path, file.sha256]));
  } catch (error) {
    if (cannotList(error)) return new Map();
    throw error;
  }
}
