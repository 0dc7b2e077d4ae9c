/** Display helpers for the file browser. */
const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export const formatTime = (iso: string) => new Date(iso).toLocaleString();

/** What each API error means to a person using the page. */
export function explain(code: string, message: string): string {
  switch (code) {
    case 'unauthorized':
      return 'Your token is not valid any more. Sign in again.';
    case 'forbidden':
      return `Not allowed: ${message}`;
    case 'precondition_failed':
      return `Someone else changed this file meanwhile: ${message}. Refresh and try again.`;
    case 'too_large':
      return `Too large: ${message}`;
    case 'storage_unavailable':
      return 'The storage is unavailable right now. Nothing was lost; try again in a moment.';
    case 'conflict':
      return `Conflict: ${message}`;
    case 'not_found':
      return `Not found: ${message}`;
    case 'network':
      return 'The server cannot be reached. Check your connection.';
    default:
      return message;
  }
}
