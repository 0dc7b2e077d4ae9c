/**
 * What `dfs put` and `dfs get` share: their options, their report (every file succeeds or
 * fails alone; the ones that failed are reported together at the end) and their errors.
 */

import type { OutageWatch } from '../client/outage.ts';
import { shown } from './output.ts';

/**
 * Files over the batch size moving at once, their parts or ranges in flight limited together
 * by `--parts`: the store stays busy while one file is created, completed or verified. Measured
 * with 40 files of 24 MiB on Ceph (docs/benchmarks.md): put 9.7 s one at a time, 6.4 s two,
 * 4.8 s four, no faster with six or eight.
 */
export const BIG_FILES_IN_FLIGHT = 4;

export interface TransferOptions {
  recursive: boolean;
  /** Files transferred at once (small files). */
  jobs: number;
  /** Small files per API request. */
  batch: number;
  /** Parts or ranges in flight, per big file and across the big files moving together. */
  parts: number;
  partSize?: number;
  /** Transfer files even when their content is already at the destination. */
  force?: boolean;
  /** Patterns of files and folders left out of folder transfers (see exclusion.ts). */
  exclude?: string[];
  /** Bars on stderr (a terminal only). */
  progress: boolean;
  /** Not even a line on stderr when a try fails and is tried again. */
  quiet: boolean;
  /** Stops the run: files not done by then fail with its reason. */
  signal?: AbortSignal;
  /** Told how each request to the store went; its signal is the run's (outage.ts). */
  outage?: OutageWatch;
}

export class UsageError extends Error {}

/** A failure tied to one file, reported as "path: reason" (the path as shown(), control characters escaped). */
export class FileError extends Error {
  constructor(path: string, cause: unknown) {
    super(`${shown(path)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Some files of a transfer (or a command on many paths) failed, the others are done: one line each. */
export class TransferFailures extends Error {
  readonly failures: Error[];

  constructor(failures: Error[]) {
    super(failures.map((f) => f.message).join('\n'), { cause: failures[0]?.cause });
    this.failures = failures;
  }
}

export interface TransferReport<T> {
  done: T[];
  failed: FileError[];
}

/** What a transfer would do, file by file (`--dry-run`), without doing it. */
export interface PlannedTransfer {
  local: string;
  remote: string;
  size: number;
  action: 'upload' | 'download' | 'unchanged';
}
