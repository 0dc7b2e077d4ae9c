/** Names within the paths the page shows. */
import { BIDI_CHARACTERS } from '../client/bidi.ts';

const BIDI = new RegExp(`[${BIDI_CHARACTERS}]`, 'gu');

/**
 * Text as the page shows it, each bidirectional control or mark as its code point ("[U+202E]"),
 * the notice saying why a name was refused included.
 */
export const visible = (text: string) => text.replace(BIDI, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);

/** The last name of a file's or folder's path. */
export const baseName = (path: string) => path.replace(/\/$/, '').split('/').pop()!;

/** The folder a path is in, with its trailing slash ('' at the top). */
export const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);
