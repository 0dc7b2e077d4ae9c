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
   * D1 batch is one transaction with no savepoints: when one list is refused, all roll back. The
   * lists then run again in halves, in order, down to a few run one by one: a refused commit
   * among 1,000 costs ~20 calls, where running each alone cost 1,001, past the 1,000 a request
   * may make on Workers Paid.
   */
  async batchEach(lists: SqlStatement[][], refusedAlone: (error: unknown) => boolean): Promise<PromiseSettledResult<SqlResult[]>[]> {
    const settled: PromiseSettledResult<SqlResult[]>[] = [];
    const run = async (from: number, to: number): Promise<void> => {
      try {
        const results = await this.batch(lists.slice(from, to).flat());
        let end = 0;
        for (let i = from; i < to; i++) settled[i] = { status: 'fulfilled', value: results.slice(end, (end += lists[i]!.length)) };
      } catch (error) {
        if (to - from === 1 || !refusedAlone(error)) {
          for (let i = from; i < to; i++) settled[i] = { status: 'rejected', reason: error };
          return;
        }
        if (to - from <= ONE_BY_ONE) {
          for (let i = from; i < to; i++) await run(i, i + 1);
          return;
        }
        const middle = Math.floor((from + to) / 2);
        await run(from, middle);
        await run(middle, to);
      }
    };
    if (lists.length > 0) await run(0, lists.length);
    return settled;
  }
}

/** Lists run one by one once a refusal is narrowed down to this many: halving further costs more calls than it saves. */
const ONE_BY_ONE = 8;

export const createD1Index = (db: D1DatabaseLike) => new SqlFileIndex(new D1Driver(db));
