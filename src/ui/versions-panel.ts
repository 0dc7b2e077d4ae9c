/**
 * The versions panel: a file's versions, newest first, each but the current one with a button
 * that restores it. It follows its file when another tab or client moves or deletes it.
 */
import { ApiError, type DfsClient } from '../client/api-client.ts';
import { $, button, closesOnEscape, heading } from './elements.ts';
import { controlsNamed, firstShown, keepFocus, reveal } from './focus.ts';
import { formatBytes, formatTime } from './format.ts';
import { baseName, parentOf } from './names.ts';
import { notify } from './notices.ts';
import type { Page } from './page.ts';

export interface VersionsPanel {
  /** Opens the panel on the file at `path`, in view. */
  open(path: string): Promise<void>;
  /**
   * After the file or folder `path` was deleted, or moved (`now` says where each file went): a
   * panel open on it, or on a file in it, shows the versions as they are now.
   */
  after(path: string, now?: (file: string) => string): Promise<void>;
  /** Shows the versions again, if the panel is open (the page's Refresh). */
  refresh(): Promise<void>;
  close(): void;
}

export function versionsPanel(page: Page): VersionsPanel {
  const panel = $('versions');
  /** The file the panel shows, while it is open. */
  let versionsOf: string | null = null;

  async function open(path: string): Promise<void> {
    // A file gone meanwhile is said, and gone from the listing too: it shows the folder as it is now.
    if (await show(path, page.actionFailed, true)) reveal(panel);
  }

  async function after(path: string, now = (file: string) => file): Promise<void> {
    if (versionsOf !== null && (versionsOf === path || versionsOf.startsWith(`${path}/`))) await show(now(versionsOf));
  }

  /**
   * Shows the versions of `path` in the panel; whether they are shown. Versions gone (the file
   * moved or deleted elsewhere) close a panel open on it, saying nothing unless a person `asked`
   * for them: otherwise the listing shows the file gone. A passing failure (a proxy, the network)
   * leaves the panel as it was, to try again; it goes to `report`, as does a file gone that the
   * panel was not open on.
   */
  async function show(path: string, report: (error: unknown) => void = page.fail, asked = false): Promise<boolean> {
    try {
      return await fill(page.client!, path);
    } catch (error) {
      const closing = versionsOf === path && error instanceof ApiError && error.code === 'not_found';
      if (closing) close();
      if (!closing || asked) report(error);
      return false;
    }
  }

  /** Fills the panel with the versions of `path`, if `via` is still signed in; the API's refusal comes as the rejection. */
  async function fill(via: DfsClient, path: string): Promise<boolean> {
    const list = await via.versions(path);
    if (page.client !== via) return false;
    // Moved into another folder (a rename), the file is named in full: its Restore acts there, not here.
    const shownAs = parentOf(path) === page.folder ? baseName(path) : path;
    keepFocus(
      () => {
        panel.replaceChildren(heading(`Versions of ${shownAs}`));
        list.forEach((v, i) => {
          const row = document.createElement('div');
          row.textContent = `${formatTime(v.createdAt)} · ${formatBytes(v.size)}${v.current ? ' · current' : ''} `;
          // Versions made within a second show the same time, and may be as big: each Restore is told apart by its place,
          // counted from the oldest so that a restore (a version more) leaves the labels, and the focus found by them, as they were.
          const label = `Restore version ${list.length - i}, ${formatBytes(v.size)}, from ${formatTime(v.createdAt)}`;
          if (!v.current && page.may('write')) row.append(button('Restore', () => void restore(path, v.version), label));
          panel.append(row);
        });
        panel.append(button('Close', close, 'Close versions'));
        panel.hidden = false;
      },
      () => panel.querySelector('h2'),
    );
    versionsOf = path;
    return true;
  }

  /**
   * Closes the panel and forgets what it showed (the next person to sign in sees none of it); the
   * focus in it goes back to the file's Versions button, if its row is on screen.
   */
  function close(): void {
    const of = versionsOf;
    keepFocus(
      () => {
        panel.hidden = true;
        panel.replaceChildren();
        versionsOf = null;
      },
      () => (of !== null && parentOf(of) === page.folder ? firstShown(...controlsNamed(`Versions of ${baseName(of)}`)) : null) ?? $('listing'),
    );
  }

  async function restore(path: string, version: string): Promise<void> {
    const via = page.client!;
    try {
      await via.restore(path, version);
      notify(`Restored ${baseName(path)}`);
      await page.reload();
      await show(path);
    } catch (error) {
      page.actionFailed(error);
      // Moved or deleted meanwhile (another tab): the panel shows what is left to restore there, or
      // goes. The restore's failure was said: the panel's would be the same news again.
      if (error instanceof ApiError && error.code === 'not_found' && page.client === via) await show(path, () => {});
    }
  }

  async function refresh(): Promise<void> {
    if (versionsOf !== null) await show(versionsOf);
  }

  closesOnEscape(panel, close);
  return { open, after, close, refresh };
}
