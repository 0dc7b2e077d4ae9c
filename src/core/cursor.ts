/** Opaque page cursors: text in URL-safe base64, refused with one message when forged or mangled. */
import { invalidRequest } from './errors.ts';

export function encodeCursor(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text `encodeCursor` was given; `parse` throws on a text no cursor of ours holds. */
export function decodeCursor<T>(cursor: string, parse: (text: string) => T): T {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    return parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw invalidRequest('cursor is not one this API returned');
  }
}
