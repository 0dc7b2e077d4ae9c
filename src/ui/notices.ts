/** Short notices under the toolbar: said for a few seconds, errors for longer. */
import { $ } from './elements.ts';
import { visible } from './names.ts';

const noticeTimers = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

/**
 * Says `text` for a few seconds; given a notice of the caller's own (one it rewrites as more
 * happens), rewrites that one and keeps it as long from now. Otherwise the same words said again
 * (every click while offline) keep the one notice saying them.
 */
export function notify(text: string, isError = false, notice?: HTMLElement): void {
  const shown = visible(text);
  const className = isError ? 'error' : '';
  const same = notice ? null : [...$('status').querySelectorAll<HTMLElement>(':scope > p')].find((p) => p.textContent === shown && p.className === className);
  const target = notice ?? same ?? document.createElement('p');
  target.textContent = shown;
  target.className = className;
  if (!target.isConnected) $('status').append(target);
  clearTimeout(noticeTimers.get(target));
  noticeTimers.set(target, setTimeout(() => target.remove(), isError ? 8000 : 4000));
}

/**
 * The notices are fixed at the bottom of the window: the page keeps room below its content as
 * tall as they are, so a control scrolled or tabbed to is never under them (at 200 % zoom a
 * share link's notice covered the rows' buttons).
 */
export function keepRoomForNotices(): void {
  const status = $('status');
  new ResizeObserver(() => document.documentElement.style.setProperty('--notices-height', `${status.offsetHeight}px`)).observe(status);
}
