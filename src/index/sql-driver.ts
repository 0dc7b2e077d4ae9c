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
}

export const sql = (text: string, ...params: SqlValue[]): SqlStatement => ({ sql: text, params });
