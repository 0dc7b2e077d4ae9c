/** Short notices under the toolbar: said for a few seconds, errors for longer. */
import { $ } from './elements.ts';
import { visible } from './names.ts';

const noticeTimers = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

/** Says `text` for a few seconds; given a notice already said, rewrites it and keeps it as long from now. */
export function notify(text: string, isError = false, notice = document.createElement('p')): void {
  notice.textContent = visible(text);
  notice.className = isError ? 'error' : '';
  if (!notice.isConnected) $('status').append(notice);
  clearTimeout(noticeTimers.get(notice));
  noticeTimers.set(notice, setTimeout(() => notice.remove(), isError ? 8000 : 4000));
}
