/** The path rules of the API: normalisation, validation and the folder arithmetic on top. */
import { invalidPath } from './errors.ts';

export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;

const encoder = new TextEncoder();
// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

// Bidirectional embeddings, overrides and isolates: "invoice\u202Efdp.exe" shows as
// "invoiceexe.pdf" wherever the name is displayed.
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;

export const byteLength = (s: string) => encoder.encode(s).length;

/** Returns the NFC form of `raw` if it is a valid file path; throws invalid_path otherwise. */
export function normalizePath(raw: unknown): string {
  if (typeof raw !== 'string') throw invalidPath('path must be a string');
  if (raw.length === 0) throw invalidPath('path must not be empty');
  if (!raw.isWellFormed()) throw invalidPath('path is not valid UTF-8 text');
  const path = raw.normalize('NFC');
  if (CONTROL.test(path)) throw invalidPath('path must not contain control characters');
  if (path.startsWith('/')) throw invalidPath('path must not start with "/"');
  if (path.endsWith('/')) throw invalidPath('path must not end with "/"');
  if (byteLength(path) > MAX_PATH_BYTES) throw invalidPath(`path is longer than ${MAX_PATH_BYTES} bytes`);
  for (const segment of path.split('/')) {
    if (segment === '') throw invalidPath('path must not contain an empty segment ("//")');
    if (segment === '.' || segment === '..') throw invalidPath(`path must not contain a "${segment}" segment`);
    if (byteLength(segment) > MAX_SEGMENT_BYTES) throw invalidPath(`a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return path;
}

/**
 * A path for a file about to be made (upload, move or copy target): a valid path without the
 * characters that make a name display as another. Reading or deleting an existing path only
 * needs it to be valid, so a file named so before this rule stays reachable.
 */
export function normalizeNewPath(raw: unknown): string {
  const path = normalizePath(raw);
  if (BIDI_CONTROL.test(path)) throw invalidPath('path must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069)');
  return path;
}

/**
 * Normalises a listing prefix: any string that a valid path could start with ("" included).
 * Unlike a path it may end with "/" and its last segment may be partial.
 */
export function normalizePrefix(raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') return '';
  if (typeof raw !== 'string') throw invalidPath('prefix must be a string');
  const prefix = raw.normalize('NFC');
  const partial = prefix.slice(prefix.lastIndexOf('/') + 1);
  if (prefix.endsWith('/')) normalizePath(prefix.slice(0, -1));
  // "." and ".." name nothing, but ".env" and "..data" start with them: one more byte makes a name.
  else if (partial === '.' || partial === '..') normalizePath(`${prefix}_`);
  else normalizePath(prefix);
  return prefix;
}

/** A folder path with its trailing slash: "a/b" -> "a/b/". */
export const folderOf = (path: string) => (path.endsWith('/') ? path : `${path}/`);

/**
 * The strict upper bound, in UTF-8 byte order, of every string starting with `prefix`; null
 * when there is none ("", or nothing but U+10FFFF). UTF-8 keeps code point order, so bumping
 * the last code point is enough; U+10FFFF has no successor, so it carries to the one before.
 */
export function prefixEnd(prefix: string): string | null {
  const chars = Array.from(prefix);
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    // Skip the surrogate block: those code points cannot be stored as text.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return chars.join('') + String.fromCodePoint(next);
  }
  return null;
}

/** Every proper ancestor of a path as a file path: "a/b/c" -> ["a", "a/b"]. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let i = path.indexOf('/');
  while (i !== -1) {
    out.push(path.slice(0, i));
    i = path.indexOf('/', i + 1);
  }
  return out;
}

/** The last segment: "a/b/c.txt" -> "c.txt". */
export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * True when `path` lies under `folder` (which ends in "/"). A file named like the folder is not
 * inside it: "a" is a sibling of "a/x", so only the folder path "a/" itself qualifies.
 */
export const isWithin = (path: string, folder: string) => path.startsWith(folder);
