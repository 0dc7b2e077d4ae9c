/** The SQL driver over Cloudflare D1, typed with just the part of its API this uses. */
import { SqlFileIndex } from './sql-file-index.ts';
import type { SqlDriver, SqlResult, SqlStatement, SqlValue } from './sql-driver.ts';

interface D1Result {
  results?: Record<string, unknown>[];
  meta: { changes?: number };
}

interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all(): Promise<D1Result>;
}

export interface D1DatabaseLike {
  prepare(sql: string): D1PreparedStatement;
  /** Runs the statements as one transaction; one failing rolls back all. */
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
}

export class D1Driver implements SqlDriver {
  readonly #db: D1DatabaseLike;

  constructor(db: D1DatabaseLike) {
    this.#db = db;
  }

  #bind(statement: SqlStatement): D1PreparedStatement {
    return this.#db.prepare(statement.sql).bind(...statement.params);
  }

  async all<Row = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    const result = await this.#bind({ sql, params }).all();
    return (result.results ?? []) as Row[];
  }

  async batch(statements: SqlStatement[]): Promise<SqlResult[]> {
    const results = await this.#db.batch(statements.map((s) => this.#bind(s)));
    return results.map((r) => ({ rows: r.results ?? [], changes: r.meta.changes ?? 0 }));
  }

  /**
   * One D1 call for all the lists (D1 counts calls per request, and each crosses the network). A
   * D1 batch is one transaction with no savepoints: when one list is refused, all roll back,
   * and each list runs again alone.
   */
  async batchEach(lists: SqlStatement[][], refusedAlone: (error: unknown) => boolean): Promise<PromiseSettledResult<SqlResult[]>[]> {
    if (lists.length > 1) {
      try {
        const results = await this.batch(lists.flat());
        let end = 0;
        return lists.map((list) => ({ status: 'fulfilled', value: results.slice(end, (end += list.length)) }));
      } catch (error) {
        if (!refusedAlone(error)) return lists.map(() => ({ status: 'rejected', reason: error }));
      }
    }
    return Promise.allSettled(lists.map((list) => this.batch(list)));
  }
}

export const createD1Index = (db: D1DatabaseLike) => new SqlFileIndex(new D1Driver(db));
