/** A content type for uploads that name none, from the file extension. */
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', json: 'application/json',
  xml: 'application/xml', yaml: 'application/yaml', yml: 'application/yaml', toml: 'application/toml',
  pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip', tgz: 'application/gzip',
  tar: 'application/x-tar', bz2: 'application/x-bzip2', xz: 'application/x-xz', '7z': 'application/x-7z-compressed',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', avif: 'image/avif', ico: 'image/x-icon', heic: 'image/heic', tif: 'image/tiff', tiff: 'image/tiff',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', flac: 'audio/flac', m4a: 'audio/mp4',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', mkv: 'video/x-matroska',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', wasm: 'application/wasm', woff2: 'font/woff2',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function guessContentType(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}

/**
 * Types shown inline when asked: images, sound, video, plain text, JSON and PDF, which browsers
 * render without running the uploader's markup. The type is whatever the uploader said, and a
 * presigned GET cannot add `X-Content-Type-Options: nosniff`, so a type not named here (an
 * unknown one a browser sniffs as HTML, `text/html` in disguise) is never trusted.
 */
const SHOWN_INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|text\/plain|application\/(json|pdf))$/;

/** A media type with simple parameters only: no commas (a list a browser reads its own way), no quoting. */
const PLAIN_TYPE = /^([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)(\s*;\s*[a-z0-9!#$&^_.+-]+=[a-z0-9!#$&^_.+-]+)*$/;

/**
 * How a download is served: inline only for a type a browser shows without running it. Anything
 * else asked for inline comes as a file to save instead: shown, its page would run on the store's
 * origin with whatever the uploader put in it (a login form, a script).
 */
export function servedDisposition(contentType: string, requested: 'attachment' | 'inline'): 'attachment' | 'inline' {
  if (requested === 'attachment') return requested;
  const mediaType = PLAIN_TYPE.exec(contentType.trim().toLowerCase())?.[1];
  return mediaType !== undefined && SHOWN_INLINE.test(mediaType) ? 'inline' : 'attachment';
}
