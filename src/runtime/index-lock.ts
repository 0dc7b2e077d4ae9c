/**
 * One Node server per SQLite index file, as docs/deploy.md asks: a second one started by mistake
 * (a service started twice, `npm start` in a folder already served) is refused at start instead
 * of sharing the file. A lock file beside the index names the server's pid; one left by a server
 * that is gone is taken over.
 */
import { acquirePidLock } from './pid-lock.ts';
import { StartError } from './start-error.ts';

/** Locks the index at `dbPath`; resolves with the release. An index in memory is this process's alone. */
export async function lockIndex(dbPath: string): Promise<() => Promise<void>> {
  if (dbPath === ':memory:') return async () => undefined;
  const lockPath = `${dbPath}.lock`;
  return acquirePidLock(lockPath, {
    whenHeld: (pid) => new StartError(`the index ${dbPath} is in use by another dfs server, pid ${pid} (lock file ${lockPath}): run one server per index file (DFS_DB_PATH)`),
    mode: 0o600,
  });
}
