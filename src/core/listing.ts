/**
 * Listing with keyset pagination and an optional "/" delimiter over the index's plain range
 * scans. With a delimiter the index answers one row per file or sub-folder, passing over the
 * rest of a folder in the same query, so a page costs one query however many files its
 * folders hold (D1 counts queries per request), and a folder of millions of files one seek.
 */
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { FileIndex } from './file-index.ts';
import type { FileRecord } from './model.ts';
import { prefixEnd } from './paths.ts';

export interface ListRequest {
  /** The S3-style prefix names are grouped under. */
  prefix: string;
  /** The range actually scanned: `prefix`, or narrower when the token sees less. */
  scanPrefix: string;
  delimiter: boolean;
  limit: number;
  cursor: string | null;
}

export interface ListPage {
  files: FileRecord[];
  folders: string[];
  nextCursor: string | null;
}

interface Position {
  key: string;
  inclusive: boolean;
}

export async function listPage(index: FileIndex, request: ListRequest): Promise<ListPage> {
  const { prefix, scanPrefix, delimiter, limit } = request;
  const end = prefixEnd(scanPrefix);
  let position = clampToRange(request.cursor === null ? null : decodePosition(request.cursor), scanPrefix);
  const files: FileRecord[] = [];
  const folders: string[] = [];
  if (end !== null && compareCodePoints(position.key, end) >= 0) return { files, folders, nextCursor: null };

  // One row more than a page tells whether another page exists.
  const rows = await index.listFiles({
    start: position.key,
    startInclusive: position.inclusive,
    end,
    limit: limit + 1,
    ...(delimiter ? { groupAfter: Array.from(prefix).length } : {}),
  });
  for (const row of rows) {
    if (files.length + folders.length === limit) return { files, folders, nextCursor: encodePosition(position) };
    const slash = delimiter ? row.path.indexOf('/', prefix.length) : -1;
    if (slash === -1) {
      files.push(row);
      position = { key: row.path, inclusive: false };
      continue;
    }
    const folder = row.path.slice(0, slash + 1);
    folders.push(folder);
    position = { key: prefixEnd(folder)!, inclusive: true };
  }
  return { files, folders, nextCursor: null };
}

/** Compares strings in code point order, which is UTF-8 byte order (the index's order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** A forged or stale cursor never reaches below the range the caller may scan. */
function clampToRange(position: Position | null, scanPrefix: string): Position {
  if (position === null || compareCodePoints(position.key, scanPrefix) < 0) return { key: scanPrefix, inclusive: true };
  return position;
}

const encodePosition = (position: Position) => encodeCursor((position.inclusive ? 'i' : 'x') + position.key);

const decodePosition = (cursor: string) =>
  decodeCursor(cursor, (text): Position => {
    const kind = text[0];
    if (kind !== 'i' && kind !== 'x') throw new Error('unknown kind');
    return { key: text.slice(1), inclusive: kind === 'i' };
  });
