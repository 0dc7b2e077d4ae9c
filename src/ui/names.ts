/** Names within the paths the page shows. */

/**
 * Text as the page shows it, each bidirectional control as its code point ("[U+202E]"): shown
 * raw, one in a name ("invoice\u202Egpj.exe" reads "invoiceexe.jpg") shows another name and
 * reverses the rest of the line it stands in, the notice saying why it was refused included.
 * The API refuses them in new names; files stored before, or by other means, may hold them.
 */
export const visible = (text: string) =>
  text.replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);

/** The last name of a file's or folder's path. */
export const baseName = (path: string) => path.replace(/\/$/, '').split('/').pop()!;

/** The folder a path is in, with its trailing slash ('' at the top). */
export const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);
