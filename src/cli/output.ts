/** How results reach the terminal: JSON for machines, aligned text for people. */
import type { FileEntry, ShareEntry, Token, Version } from '../client/api-types.ts';
import { BIDI_CHARACTERS } from '../client/bidi.ts';
import { formatBytes } from '../client/format.ts';

export interface Output {
  json: boolean;
  quiet: boolean;
}

/**
 * What a command exists to produce (a listing, a link, a token's secret), on stdout. --quiet
 * never silences it: `dfs -q token create` would lose a secret the server shows only once.
 */
export function print(out: Output, value: unknown, human: () => string): void {
  if (out.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const text = human();
    if (text) process.stdout.write(`${safeLines(text)}\n`);
  }
}

/** What a command did ("uploaded a.txt", "deleted b"): --quiet leaves it out, --json keeps it. */
export function confirm(out: Output, value: unknown, human: () => string): void {
  if (out.json || !out.quiet) print(out, value, human);
}

/** A word for people beside the result, on stderr so that `$(dfs ...)` captures the result alone; --json carries it in its value. */
export function notice(out: Output, text: string): void {
  if (!out.json && !out.quiet) process.stderr.write(`dfs: ${safeLines(text)}\n`);
}

// C0 controls, DEL and C1 controls: printed raw they move the cursor, recolour the terminal or
// break a line in two. Bidirectional controls and marks: a name holding one shows as another.
const CONTROL = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_CHARACTERS}]`, 'u');

/**
 * Text as one line, whatever it quotes: control characters as the shell's $'...' quoting writes
 * them ($'\xNN' is a byte, a C1 control a character of two bytes in UTF-8). For error lines,
 * whose names are shown() already, but a path the API's message repeats may not be.
 */
export const oneLine = (text: string) =>
  text.replace(new RegExp(CONTROL, 'gu'), (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });

/**
 * What a command prints for people, line by line as oneLine() writes a line: every value the
 * server sends (a version id, a time, a link, a scope) is printed, not only names, and a server
 * could put a terminal's escape sequences in any of them.
 */
export const safeLines = (text: string) => text.split('\n').map(oneLine).join('\n');

/**
 * A local or remote name as a line shows it: as is, or, when it holds a control character, in
 * the shell's $'...' quoting (`$'red\x1b[31mX'`), which can be pasted back into a command.
 */
export function shown(name: string): string {
  return CONTROL.test(name) ? `$'${oneLine(name.replace(/[\\']/g, '\\$&'))}'` : name;
}

/**
 * A remote name as a command line to paste back takes it: as is when no shell reads anything in
 * it specially, else quoted ($'...' when it holds a control character). One starting with "-"
 * gets the leading "/" every command reads as the top level, or dfs would take it for an option.
 */
export function shellWord(name: string): string {
  if (name.startsWith('-')) return shellWord(`/${name}`);
  if (CONTROL.test(name)) return shown(name);
  if (/^[\p{L}\p{N}_@%+=:,./-]+$/u.test(name)) return name;
  return `'${name.replace(/'/g, "'\\''")}'`;
}

const pad = (s: string, n: number) => s.padStart(n);

export function fileLine(file: FileEntry, long: boolean): string {
  if (!long) return shown(file.path);
  return `${pad(formatBytes(file.size), 10)}  ${file.updatedAt.slice(0, 19).replace('T', ' ')}  ${shown(file.path)}`;
}

export function folderLine(folder: string, long: boolean): string {
  return long ? `${pad('-', 10)}  ${' '.repeat(19)}  ${shown(folder)}` : shown(folder);
}

export const versionLine = (v: Version) =>
  `${v.current ? '*' : ' '} ${v.version}  ${v.createdAt.slice(0, 19).replace('T', ' ')}  ${pad(formatBytes(v.size), 10)}`;

export const tokenLine = (t: Token) =>
  `${t.id}  ${shown(t.name)}  [${t.scopes.join(',')}]${t.prefix ? `  prefix ${shown(t.prefix)}` : ''}${t.expiresAt ? `  expires ${t.expiresAt}` : ''}`;

export const shareLine = (s: ShareEntry) => `${s.url}  ${shown(s.path)}  expires ${s.expiresAt.slice(0, 19).replace('T', ' ')}${s.fileExists ? '' : '  (no file there now)'}`;
