/** The few things the SQL file index needs from a database: the same for D1 and node:sqlite. */

export type SqlValue = string | number | null;

export interface SqlStatement {
  sql: string;
  params: SqlValue[];
}

export interface SqlResult<Row = Record<string, unknown>> {
  rows: Row[];
  changes: number;
}

export interface SqlDriver {
  all<Row = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<Row[]>;
  /** Runs every statement in one transaction: all take effect or none does. */
  batch(statements: SqlStatement[]): Promise<SqlResult[]>;
  /**
   * Runs each list as batch() runs one, all or nothing and failing alone, in as few round trips
   * as the database allows. `refusedAlone(error)`: whether a failure is one list's own (a guard
   * refusing it), so that the other lists are worth running without it.
   */
  batchEach(lists: SqlStatement[][], refusedAlone: (error: unknown) => boolean): Promise<PromiseSettledResult<SqlResult[]>[]>;
}

export const sql = (text: string, ...params: SqlValue[]): SqlStatement => ({ sql: text, params });
