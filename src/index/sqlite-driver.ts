/**
 * The SQL driver over node:sqlite, and `openSqliteIndex`, which applies the migrations in
 * infra/migrations at open, tracked in the table wrangler uses so both tools agree.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { storageUnavailable } from '../core/errors.ts';
import { SqlFileIndex } from './sql-file-index.ts';
import type { SqlDriver, SqlResult, SqlStatement, SqlValue } from './sql-driver.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../infra/migrations/', import.meta.url));
const RETURNS_ROWS = /^\s*(SELECT|WITH)\b/i;

export class SqliteDriver implements SqlDriver {
  readonly #db: DatabaseSync;
  // Preparing is a large share of a small statement's cost; the hot paths reuse a handful.
  readonly #statements = new Map<string, StatementSync>();
  #queued: { statements: SqlStatement[]; resolve: (result: SqlResult[]) => void; reject: (error: unknown) => void }[] = [];

  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    // node:sqlite waits for a lock synchronously, holding up every request of the process: a
    // second long, then the 503 of busyAsUnavailable. Only another process takes the lock (a
    // backup tool writing, or a server the index's pid lock did not stop).
    this.#db.exec('PRAGMA busy_timeout = 1000');
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #execute(statement: SqlStatement): SqlResult {
    const prepared = this.#prepare(statement.sql);
    if (RETURNS_ROWS.test(statement.sql)) return { rows: prepared.all(...statement.params) as Record<string, unknown>[], changes: 0 };
    return { rows: [], changes: Number(prepared.run(...statement.params).changes) };
  }

  async all<Row = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    try {
      return this.#prepare(sql).all(...params) as Row[];
    } catch (error) {
      throw busyAsUnavailable(error);
    }
  }

  async batch(statements: SqlStatement[]): Promise<SqlResult[]> {
    if (statements.length === 1 && RETURNS_ROWS.test(statements[0]!.sql)) return [this.#execute(statements[0]!)];
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(() => this.#commitQueued());
      this.#queued.push({ statements, resolve, reject });
    });
  }

  /** The group commit below already gives each list a savepoint of its own in one transaction. */
  batchEach(lists: SqlStatement[][]): Promise<PromiseSettledResult<SqlResult[]>[]> {
    return Promise.allSettled(lists.map((statements) => this.batch(statements)));
  }

  /**
   * Group commit: write batches issued during one turn of the event loop share one transaction
   * (a commit costs far more than a few statements). Each batch runs in its own savepoint, so
   * a batch whose statement fails (a guard, a constraint) rolls back alone and fails alone.
   */
  #commitQueued(): void {
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 1 && queued[0]!.statements.length === 1) {
      const [only] = queued;
      try {
        only!.resolve([this.#execute(only!.statements[0]!)]);
      } catch (error) {
        only!.reject(busyAsUnavailable(error));
      }
      return;
    }
    const settled: (() => void)[] = [];
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      for (const item of queued) item.reject(busyAsUnavailable(error));
      return;
    }
    for (const item of queued) {
      this.#db.exec('SAVEPOINT queued');
      try {
        const results = item.statements.map((s) => this.#execute(s));
        this.#db.exec('RELEASE queued');
        settled.push(() => item.resolve(results));
      } catch (error) {
        this.#db.exec('ROLLBACK TO queued');
        this.#db.exec('RELEASE queued');
        settled.push(() => item.reject(error));
      }
    }
    try {
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      for (const item of queued) item.reject(busyAsUnavailable(error));
      return;
    }
    for (const settle of settled) settle();
  }

  /**
   * Applies migrations not yet recorded, each in its own transaction (safe if two processes start
   * at once). An index a newer build migrated is refused: this build's statements know nothing of
   * what those migrations changed (an older one ran on such an index put version history out of
   * order, and retention then dropped the newest versions).
   */
  migrate(directory = MIGRATIONS_DIR): string[] {
    this.#db.exec(`CREATE TABLE IF NOT EXISTS d1_migrations (
      id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
    const known = readdirSync(directory).filter((f) => f.endsWith('.sql')).sort();
    const recorded = this.#db.prepare('SELECT name FROM d1_migrations ORDER BY id').all().map((row) => String(row.name));
    const unknown = recorded.filter((name) => !known.includes(name));
    if (unknown.length > 0) throw new NewerIndexError(this.#path, unknown);
    const applied: string[] = [];
    for (const name of known) {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const done = this.#db.prepare('SELECT 1 FROM d1_migrations WHERE name = ?').get(name);
        if (!done) {
          this.#db.exec(readFileSync(`${directory}/${name}`, 'utf8'));
          this.#db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(name);
          applied.push(name);
        }
        this.#db.exec('COMMIT');
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    }
    return applied;
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}

/**
 * Another process holding the file's lock past busy_timeout (a second server, a backup tool):
 * a 503 the client may try again, not a 500. SQLITE_BUSY and SQLITE_LOCKED, extended codes too.
 */
function busyAsUnavailable(error: unknown): unknown {
  const code = (error as { errcode?: unknown }).errcode;
  if (typeof code !== 'number' || ((code & 0xff) !== 5 && (code & 0xff) !== 6)) return error;
  return storageUnavailable('the index is busy: another process holds its lock; try again', error);
}

/** The index was migrated by a newer dfs than this one. */
export class NewerIndexError extends Error {
  constructor(path: string, unknown: string[]) {
    super(`the index ${path} was migrated by a newer dfs (${unknown.join(', ')}, unknown to this one): run that version or a newer one`);
    this.name = 'NewerIndexError';
  }
}

export type SqliteFileIndex = SqlFileIndex & { close(): void };

/** Opens (creating if needed) and migrates the index at `path` (or ":memory:"). */
export function openSqliteIndex(path: string): SqliteFileIndex {
  const driver = new SqliteDriver(path);
  driver.migrate();
  const index = new SqlFileIndex(driver) as SqliteFileIndex;
  index.close = () => driver.close();
  return index;
}
