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
   * D1 batch is one transaction with no savepoints: when one list is refused, all roll back, and
   * the lists run again, in order, in halves: a refused list among 1,000 costs ~20 calls, where
   * running each alone cost 1,001, past the 1,000 a request may make on Workers Paid. Where
   * refusals turn out dense, the rest of a range runs one list at a time: never much more than
   * that would cost (a call per list and a few).
   */
  async batchEach(lists: SqlStatement[][], refusedAlone: (error: unknown) => boolean): Promise<PromiseSettledResult<SqlResult[]>[]> {
    const settled: PromiseSettledResult<SqlResult[]>[] = [];
    /** Lists [from, to) as one D1 batch. A refusal settles nothing but a list run alone; any other failure fails them all. */
    const whole = async (from: number, to: number): Promise<'committed' | 'refused' | 'failed'> => {
      try {
        const results = await this.batch(lists.slice(from, to).flat());
        let end = 0;
        for (let i = from; i < to; i++) settled[i] = { status: 'fulfilled', value: results.slice(end, (end += lists[i]!.length)) };
        return 'committed';
      } catch (error) {
        const refused = refusedAlone(error);
        if (to - from === 1 || !refused) for (let i = from; i < to; i++) settled[i] = { status: 'rejected', reason: error };
        return refused ? 'refused' : 'failed';
      }
    };
    const oneByOne = async (from: number, to: number): Promise<number> => {
      let refused = 0;
      for (let i = from; i < to; i++) if ((await whole(i, i + 1)) === 'refused') refused++;
      return refused;
    };
    /** Settles lists [from, to), which hold a refused one when `known`; how many were refused. */
    const settle = async (from: number, to: number, known: boolean): Promise<number> => {
      if (!known) {
        const outcome = await whole(from, to);
        if (outcome !== 'refused') return 0;
        if (to - from === 1) return 1;
      }
      if (to - from <= ONE_BY_ONE) return oneByOne(from, to);
      const middle = Math.floor((from + to) / 2);
      const first = await whole(from, middle);
      // The first half committed: the refusal is in the second.
      if (first !== 'refused') return settle(middle, to, first === 'committed');
      const refused = await settle(from, middle, true);
      if (refused * ONE_BY_ONE <= middle - from) return refused + (await settle(middle, to, false));
      // As dense as that, halving the rest would cost more calls than running each alone.
      return refused + ((await whole(middle, to)) === 'refused' ? await oneByOne(middle, to) : 0);
    };
    if (lists.length > 0) await settle(0, lists.length, false);
    return settled;
  }
}

/** A range of lists with a refusal among them this small runs one list at a time. */
const ONE_BY_ONE = 8;

export const createD1Index = (db: D1DatabaseLike) => new SqlFileIndex(new D1Driver(db));
