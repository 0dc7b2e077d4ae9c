/** How results reach the terminal: JSON for machines, aligned text for people. */
import type { FileEntry, ShareEntry, Token, Version } from '../client/api-types.ts';
import { formatBytes } from '../client/format.ts';

export interface Output {
  json: boolean;
  quiet: boolean;
}

export function print(out: Output, value: unknown, human: () => string): void {
  if (out.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (!out.quiet) {
    const text = human();
    if (text) process.stdout.write(`${text}\n`);
  }
}

const pad = (s: string, n: number) => s.padStart(n);

export function fileLine(file: FileEntry, long: boolean): string {
  if (!long) return file.path;
  return `${pad(formatBytes(file.size), 10)}  ${file.updatedAt.slice(0, 19).replace('T', ' ')}  ${file.path}`;
}

export function folderLine(folder: string, long: boolean): string {
  return long ? `${pad('-', 10)}  ${' '.repeat(19)}  ${folder}` : folder;
}

export const versionLine = (v: Version) =>
  `${v.current ? '*' : ' '} ${v.version}  ${v.createdAt.slice(0, 19).replace('T', ' ')}  ${pad(formatBytes(v.size), 10)}`;

export const tokenLine = (t: Token) =>
  `${t.id}  ${t.name}  [${t.scopes.join(',')}]${t.prefix ? `  prefix ${t.prefix}` : ''}${t.expiresAt ? `  expires ${t.expiresAt}` : ''}`;

export const shareLine = (s: ShareEntry) => `${s.url}  ${s.path}  expires ${s.expiresAt.slice(0, 19).replace('T', ' ')}${s.fileExists ? '' : '  (no file there now)'}`;
