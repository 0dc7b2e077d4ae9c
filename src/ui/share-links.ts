/**
 * Share links in the page: making one for a file (copied to the clipboard where there is one),
 * and the panel of the links still valid in the folder on screen, each to copy or to end.
 */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import type { ShareEntry } from '../client/api-types.ts';
import { $, button, closesOnEscape, confirmed, heading, linkField } from './elements.ts';
import { keepFocus, reveal } from './focus.ts';
import { formatTime } from './format.ts';
import { baseName, visible } from './names.ts';
import { notify } from './notices.ts';
import type { Page } from './page.ts';

export interface ShareLinks {
  /** Makes a link to the file at `path` and shows it. */
  share(path: string): Promise<void>;
  /** Opens the panel of links, in view. */
  open(): Promise<void>;
  /** Lists the links again, if the panel is open (the page's Refresh). */
  refresh(): Promise<void>;
  close(): void;
}

/** Whether `text` is on the clipboard now: a page on plain http (not localhost) has no clipboard, and a browser may refuse one. */
async function copy(text: string): Promise<boolean> {
  if (!navigator.clipboard) return false;
  return navigator.clipboard.writeText(text).then(
    () => true,
    () => false,
  );
}

/** A link stays until dismissed, selectable, with a button to copy it again: it may not have been copied. */
function showLink(url: string, said: string): void {
  $('status').querySelector('[data-share-url]')?.remove();
  const p = document.createElement('p');
  p.className = 'link';
  p.dataset.shareUrl = url;
  const text = document.createElement('span');
  text.textContent = visible(said);
  const again = button('Copy', async () => (text.textContent = (await copy(url)) ? 'Copied:' : 'Not copied (this browser does not allow it here); select the link to copy it:'), 'Copy share link');
  // The focus in the notice goes to the listing, not to the top of the page.
  const dismiss = button('Dismiss', () => keepFocus(() => p.remove(), () => $('listing'), false, [p]), 'Dismiss share link');
  p.append(text, linkField(url, 'Share link'), again, dismiss);
  closesOnEscape(p, () => dismiss.click());
  $('status').append(p);
}

function noLinks(): HTMLParagraphElement {
  const none = document.createElement('p');
  none.className = 'muted';
  none.textContent = 'No links here: a file’s “Share” button makes one.';
  return none;
}

export function shareLinks(page: Page): ShareLinks {
  const panel = $('links');

  async function share(path: string): Promise<void> {
    const via = page.client!;
    try {
      const link = await via.share(path);
      const copied = await copy(link.url);
      if (page.client !== via) return;
      showLink(link.url, copied ? `Share link for ${baseName(path)}, copied:` : `Share link for ${baseName(path)} (not copied; select it to copy it):`);
      await refreshIfOpen();
    } catch (error) {
      page.actionFailed(error);
    }
  }

  async function open(): Promise<void> {
    if (await refresh()) reveal(panel);
  }

  /** The links still valid to files in the folder on screen and below, each with a button that ends it; whether they are shown. */
  async function refresh(): Promise<boolean> {
    const via = page.client!;
    const folder = page.folder;
    try {
      const list = await via.listShares(folder);
      if (page.client !== via || page.folder !== folder) return false;
      keepFocus(
        () => {
          panel.replaceChildren(heading(folder ? `Share links in ${folder}` : 'Share links'), ...(list.length === 0 ? [noLinks()] : list.map((link) => linkRow(via, link, link.path.slice(folder.length)))));
          panel.append(button('Close', close, 'Close share links'));
          panel.hidden = false;
        },
        () => panel.querySelector('h2'),
      );
      return true;
    } catch (error) {
      page.fail(error);
      return false;
    }
  }

  /** A link to `name` (its path in the folder on screen): to copy, or to end. */
  function linkRow(via: DfsClient, link: ShareEntry, name: string): HTMLDivElement {
    const row = document.createElement('div');
    row.className = 'link';
    const what = document.createElement('span');
    what.className = 'what';
    // A link follows its path: with no file there it opens nothing, until one is put there again.
    what.textContent = visible(`${name} · expires ${formatTime(link.expiresAt)}${!link.fileExists ? ' · no file there now: the link opens nothing until one is' : ''} `);
    // Links to one file are told apart by when they expire.
    const which = `${name}, expiring ${formatTime(link.expiresAt)}`;
    row.append(
      what,
      linkField(link.url, `Share link to ${which}`),
      button('Copy', () => void copy(link.url).then((copied) => notify(copied ? `Copied the link to ${name}` : 'Not copied (this browser does not allow it here); select the link to copy it', !copied)), `Copy link to ${which}`),
      button('End', () => void end(via, link.id, name), `End link to ${which}`),
    );
    return row;
  }

  closesOnEscape(panel, close);

  /** Hides the panel and forgets its links: one opened again lists them afresh, and the next person to sign in sees none. */
  function close(): void {
    keepFocus(
      () => {
        panel.hidden = true;
        panel.replaceChildren();
      },
      () => $('show-links'),
    );
  }

  async function end(via: DfsClient, id: string, name: string): Promise<void> {
    if (!confirmed(`End this link to "${name}"? Whoever has it will get “not found”.`)) return;
    let said = `Ended a link to ${name}`;
    try {
      await via.revokeShare(id);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'not_found')) return page.fail(error);
      // Another tab or client ended it first: what the person wanted is done, and the panel was behind.
      said = `That link to ${name} had already ended`;
    }
    if (page.client !== via) return;
    notify(said);
    await refresh();
  }

  async function refreshIfOpen(): Promise<void> {
    if (!panel.hidden) await refresh();
  }

  return { share, open, close, refresh: refreshIfOpen };
}
