/**
 * The web UI: a file browser over the dfs API. Uploads go straight to the object store through
 * the shared transfer engine (src/client), downloads through presigned URLs.
 */
import { ApiError, DfsClient } from '../client/api-client.ts';
import type { FileEntry, FileList, Scope, Whoami } from '../client/api-types.ts';
import { blobUpload } from '../client/blob-upload.ts';
import { createLimiter } from '../client/pool.ts';
import { uploadFile } from '../client/upload.ts';
import { $, button, cell, heading, linkField, named } from './elements.ts';
import { controlsNamed, firstShown, keepFocus, reveal, type FocusMark } from './focus.ts';
import { describeFailures, describeUploads, explainError, explainUnanswered, explainUpload, formatBytes, formatTime } from './format.ts';
import { droppedFiles, pickedPath } from './picked-files.ts';

const TOKEN_KEY = 'dfs-token';
const SESSION_KEY = 'dfs-session';
const PAGE_SIZE = 200;
/** The most entries one listing request may ask for. */
const MAX_PAGE_SIZE = 1000;
/** Files sent at once: each holds hashers (Wasm memory) and connections; the rest wait their turn. */
const FILES_AT_ONCE = 4;
/** Uploads finishing within this long of each other refresh the listing once, not once each. */
const REFRESH_DELAY_MS = 250;
/** How long a finished upload stays in the list of uploads; its summary keeps the count. */
const FINISHED_ROW_MS = 3000;

let client: DfsClient | null = null;
let scopes = new Set<Scope>();
/** The token's own folder (its prefix): the page shows nothing above it, where it may do nothing. */
let home = '';
/**
 * Marks the history entries this sign-in made: Back after a sign out reaches them, and the next
 * person must not start in a folder of the last one.
 */
let session = '';
/** The folder on screen: uploads go into it, and "Load more" continues it. */
let prefix = '';
/** The folder the latest load from the top is for: `prefix` once it is shown, and again if it fails. */
let opening = '';
let cursor: string | null = null;
let files: FileEntry[] = [];
let folders: string[] = [];
let sort: { key: 'name' | 'size' | 'type' | 'modified'; dir: 1 | -1 } = { key: 'name', dir: 1 };
/** Bumped by every load from the top, and by sign out: an answer to an earlier one is stale. */
let listing = 0;
/** The latest listing that came back, shown or failed; behind `listing` while a load is on its way. */
let settled = 0;
/** The listing a "Load more" is under way for, so a second click does not fetch the same page. */
let loadingMoreOf = 0;
/**
 * A "Load more" was asked for the folder on screen and its rows are not shown yet: a load from
 * the top lists them too, or, if it began before the click, fetches them once it settles.
 */
let moreWanted = false;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
/** The file the versions panel shows, while it is open. */
let versionsOf: string | null = null;
/** Uploads done since the list of uploads was last cleared. */
let uploaded = 0;
/** The token "Try again" signs in with: one the server did not answer for, so said nothing about. */
let retryToken = '';
const fileTurns = createLimiter(FILES_AT_ONCE);
/** Uploads queued or under way: sign out cancels them. */
const uploads = new Set<AbortController>();

const noticeTimers = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

/** Says `text` for a few seconds; given a notice already said, rewrites it and keeps it as long from now. */
function notify(text: string, isError = false, notice = document.createElement('p')): void {
  notice.textContent = text;
  notice.className = isError ? 'error' : '';
  if (!notice.isConnected) $('status').append(notice);
  clearTimeout(noticeTimers.get(notice));
  noticeTimers.set(notice, setTimeout(() => notice.remove(), isError ? 8000 : 4000));
}

function fail(error: unknown): void {
  // Signing out clears the notices: this one comes after, to stay.
  if (error instanceof ApiError && error.code === 'unauthorized') signOut();
  notify(explainError(error), true);
}

/** An action on the folder failed; when another tab or client changed it meanwhile, shows it as it is now. */
function actionFailed(error: unknown): void {
  fail(error);
  if (error instanceof ApiError && (error.code === 'not_found' || error.code === 'conflict')) void load();
}

/** Admin covers every scope. */
const may = (scope: Scope) => scopes.has('admin') || scopes.has(scope);

/** `make`'s button, if the token has the scopes it needs. */
const only = (needs: Scope[], make: () => HTMLButtonElement) => (needs.every(may) ? [make()] : []);

async function signIn(token: string): Promise<void> {
  const candidate = new DfsClient({ endpoint: location.origin, token });
  let me: Whoami;
  try {
    me = await candidate.whoami();
  } catch (error) {
    refused(token, error);
    return;
  }
  clearSession();
  retryToken = '';
  client = candidate;
  scopes = new Set(me.scopes);
  session = sessionFor(token);
  sessionStorage.setItem(TOKEN_KEY, token);
  $('who').textContent = `${me.name}${me.prefix ? ` · ${me.prefix}` : ''}`;
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  $('retry').hidden = true;
  $<HTMLInputElement>('token').value = '';
  $('browser').hidden = false;
  $('sign-out').hidden = false;
  home = me.prefix ?? '';
  prefix = opening = home;
  permit();
  if (!may('read')) return;
  // The folder the address names (a reload, a link; not one an earlier sign-in left in the history), else the
  // token's own, which also stands for any above it; one it may not list gives way to that.
  const start = within(ownAddress() ?? home);
  address(start, 'same');
  if ((await load(start)) === 'failed' && start !== home) await load(home);
}

/** The session mark of a sign-in: kept through a reload (the same token, still saved), else a new one. */
function sessionFor(token: string): string {
  const kept = sessionStorage.getItem(TOKEN_KEY) === token ? sessionStorage.getItem(SESSION_KEY) : null;
  // Not crypto.randomUUID: a page on plain http (not localhost) does not have it.
  const id = kept ?? crypto.getRandomValues(new Uint32Array(2)).join('-');
  sessionStorage.setItem(SESSION_KEY, id);
  return id;
}

/**
 * Shows only what the token may do: each control names the scopes it needs in `data-needs`. A
 * token that may upload but not list (a drop box) gets the upload controls alone, and one that
 * may do neither is told why the page is empty.
 */
function permit(): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-needs]')) element.hidden = !element.dataset.needs!.split(' ').every((scope) => may(scope as Scope));
  const note = $('token-note');
  note.hidden = may('read');
  note.textContent = may('write') ? `This token may upload but not list: what you upload goes into ${home ? `the folder ${home}` : 'the top level'}, and is not shown here.` : unusable();
}

/** What a token that may neither list nor upload is for. */
function unusable(): string {
  const others = [...scopes].join(', ');
  return `This token may neither list nor upload${others ? ` (it may ${others})` : ''}, so there is nothing to show here. Use it with the dfs API or command line.`;
}

/** Only a token the server refused (401) is forgotten: no answer, or a busy server, says nothing about it. */
function refused(token: string, error: unknown): void {
  const invalid = error instanceof ApiError && error.status === 401;
  if (invalid) forgetToken();
  retryToken = invalid ? '' : token;
  $('sign-in-error').textContent = invalid ? 'That token is not valid.' : error instanceof ApiError ? explainUnanswered(error) : String(error);
  $('retry').hidden = invalid;
  $('sign-in').hidden = false;
}

function signOut(): void {
  // Cancelled while the token is still here: cancelling aborts each upload on the server.
  for (const upload of uploads) upload.abort();
  forgetToken();
  retryToken = '';
  client = null;
  session = '';
  home = '';
  clearSession();
  // The address names a folder of the last session: the next person starts at their own.
  history.replaceState(null, '', location.pathname + location.search);
  $('browser').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('who').textContent = '';
}

function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(SESSION_KEY);
}

/** Forgets what this session showed: whoever signs in next at this page must not see it. */
function clearSession(): void {
  listing++;
  files = [];
  folders = [];
  cursor = null;
  moreWanted = false;
  uploaded = 0;
  $('crumbs').replaceChildren();
  $('rows').replaceChildren();
  $('empty').hidden = true;
  $('more').hidden = true;
  $('uploads').replaceChildren();
  summarizeUploads();
  closePanels();
  for (const panel of [$('versions'), $('links')]) panel.replaceChildren();
  $('status').replaceChildren();
}

function closePanels(): void {
  closeVersions();
  closeLinks();
}

/**
 * Lists `folder` from the top and shows it: as many entries as the rows hold when it is the folder
 * on screen (a refresh keeps what "Load more" added, and lists the page one asked for), else a
 * page. Loads overlap (navigation, refreshes): only the latest one's answer is shown, and the
 * folder on screen changes only then.
 */
async function load(folder = opening): Promise<'shown' | 'failed' | 'stale'> {
  if (!client || !may('read')) return 'stale';
  const via = client;
  const id = ++listing;
  opening = folder;
  const more = folder === prefix && moreWanted;
  try {
    const list = await listFrom(via, folder, folder === prefix ? files.length + folders.length + (more ? PAGE_SIZE : 0) : 0);
    if (id !== listing) return 'stale';
    if (list.files.length + list.folders.length === 0 && folder !== home && (await isFile(via, folder))) return id === listing ? openParent(folder) : 'stale';
    settled = id;
    if (more || folder !== prefix) moreWanted = false;
    show(folder, list);
    return 'shown';
  } catch (error) {
    if (id !== listing) return 'stale';
    settled = id;
    opening = prefix;
    address(prefix, 'same');
    fail(error);
    return 'failed';
  } finally {
    if (id === settled && moreWanted) void loadMore();
  }
}

/** Whether `folder`, listing empty, is the name of a file: a link may name one as a folder. */
async function isFile(via: DfsClient, folder: string): Promise<boolean> {
  return via.stat(folder.slice(0, -1)).then(
    () => true,
    () => false,
  );
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);

/** `folder` is a file's name: says so, and opens the folder the file is in (uploads there would clash with it). */
function openParent(folder: string): Promise<'shown' | 'failed' | 'stale'> {
  const file = folder.slice(0, -1);
  notify(`${file} is a file, not a folder: here is the folder it is in.`);
  address(parentOf(file), 'same');
  return load(parentOf(file));
}

/** The listing of `folder` from the top, page after page until it holds `count` entries (at least a page) or ends. */
async function listFrom(via: DfsClient, folder: string, count: number): Promise<FileList> {
  const list: FileList = { files: [], folders: [], nextCursor: null };
  let held = 0;
  do {
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, count - held));
    const page = await via.list({ prefix: folder, delimiter: true, limit, cursor: list.nextCursor });
    list.files.push(...page.files);
    list.folders.push(...page.folders);
    list.nextCursor = page.nextCursor;
    held += page.files.length + page.folders.length;
  } while (list.nextCursor !== null && held < count);
  return list;
}

function show(folder: string, list: FileList): void {
  const moved = folder !== prefix;
  // The panels belong to the folder they were opened in.
  if (moved) closePanels();
  prefix = folder;
  files = list.files;
  folders = list.folders;
  cursor = list.nextCursor;
  address(folder);
  render(moved);
}

/** The address of `folder`: `#/docs/sub/`, each name percent-encoded. */
const addressOf = (folder: string) => `#/${folder.split('/').map(encodeURIComponent).join('/')}`;

/** The folder the address names, or null when it names none. */
function addressedFolder(): string | null {
  if (!location.hash.startsWith('#/')) return null;
  try {
    const names = location.hash.slice(2).split('/').filter(Boolean).map(decodeURIComponent);
    return names.length > 0 ? `${names.join('/')}/` : '';
  } catch {
    return null;
  }
}

/** The session that set the current history entry; none for an address typed in or a link. */
const markOf = (state: unknown) => (state as { session?: string } | null)?.session;

/** The folder the address names, unless an earlier sign-in set it (Back after a sign out). */
function ownAddress(): string | null {
  const mark = markOf(history.state);
  return mark === undefined || mark === session ? addressedFolder() : null;
}

/** `folder`, or the token's own folder when it lies above it: nothing there is the token's but its folder. */
const within = (folder: string) => (home.startsWith(folder) ? home : folder);

/**
 * Points the address at `folder`, so a reload or a link opens it: in a new history entry when it
 * named another folder (Back returns there), else in the same one, marked as this session's.
 */
function address(folder: string, entry: 'new' | 'same' = addressedFolder() === folder ? 'same' : 'new'): void {
  const target = addressOf(folder);
  if (location.hash === target && markOf(history.state) === session) return;
  if (entry === 'new') history.pushState({ session }, '', target);
  else history.replaceState({ session }, '', target);
}

/**
 * Back, Forward or an address typed in: opens the folder it names. One that names no folder, or
 * one above the token's, is rewritten to the folder the page shows instead.
 */
function followAddress(): void {
  if (!client || !may('read')) return;
  const folder = addressedFolder();
  const target = folder === null ? opening : within(folder);
  address(target, 'same');
  if (target !== opening) void load(target);
}

/** "Load more": the next page now, or once the load from the top under way settles. */
function askMore(): void {
  moreWanted = true;
  void loadMore();
}

/** Appends the next page of the listing shown, if it is still the one wanted. */
async function loadMore(): Promise<void> {
  // While a load from the top is on its way, the cursor belongs to rows about to be replaced.
  if (!client || settled !== listing || loadingMoreOf === listing) return;
  if (cursor === null) {
    moreWanted = false;
    return;
  }
  const id = listing;
  loadingMoreOf = id;
  try {
    const page = await client.list({ prefix, delimiter: true, limit: PAGE_SIZE, cursor });
    if (id !== listing) return;
    moreWanted = false;
    files.push(...page.files);
    folders.push(...page.folders);
    cursor = page.nextCursor;
    render();
  } catch (error) {
    if (id !== listing) return;
    moreWanted = false;
    fail(error);
  } finally {
    if (loadingMoreOf === id) loadingMoreOf = 0;
  }
}

function refreshSoon(): void {
  refreshTimer ??= setTimeout(() => {
    refreshTimer = null;
    void load();
  }, REFRESH_DELAY_MS);
}

const baseName = (path: string) => path.replace(/\/$/, '').split('/').pop()!;

/** The way from the token's own folder (its top) to the one on screen, each step a button that opens it. */
function crumbs(): void {
  const nav = $('crumbs');
  nav.replaceChildren();
  const parts = prefix.slice(home.length).split('/').filter(Boolean);
  const add = (label: string, target: string) => nav.append(button(label, () => void load(target)));
  add(home ? home.slice(0, -1) : 'All files', home);
  parts.forEach((part, i) => {
    nav.append(document.createTextNode('/'));
    add(part, `${home}${parts.slice(0, i + 1).join('/')}/`);
  });
  nav.lastElementChild!.setAttribute('aria-current', 'page');
}

/**
 * By name, folders and files keep the server's order (UTF-8 bytes), one order for both; other
 * keys sort files stably over it, and leave folders in it.
 */
function ordered<T>(list: T[], value?: (item: T, key: 'size' | 'type' | 'modified') => string | number): T[] {
  if (sort.key === 'name') return sort.dir === 1 ? [...list] : [...list].reverse();
  if (!value) return [...list];
  const key = sort.key;
  const dir = sort.dir;
  return [...list].sort((a, b) => {
    const x = value(a, key);
    const y = value(b, key);
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  });
}

const fileValue = (f: FileEntry, key: 'size' | 'type' | 'modified') => ({ size: f.size, type: f.contentType, modified: f.updatedAt })[key];

/**
 * Shows the folder on screen as it is now. The focus stays on its control, or goes to the row now
 * where its row was; after `moved` to another folder, to the crumb naming it.
 */
function render(moved = false): void {
  const fallback = (mark: FocusMark) => (moved ? $('crumbs').querySelector<HTMLElement>('[aria-current]') : rowAt(mark.row)) ?? $('listing');
  keepFocus(drawListing, fallback, !moved);
}

/** The name of the row at `index` (the last row when fewer are left), if the control was in one. */
function rowAt(index: number): HTMLElement | null {
  const rows = $<HTMLTableSectionElement>('rows').rows;
  return index < 0 ? null : (rows[Math.min(index, rows.length - 1)]?.querySelector('button') ?? null);
}

function drawListing(): void {
  for (const header of document.querySelectorAll<HTMLButtonElement>('th button[data-sort]')) {
    const active = header.dataset.sort === sort.key;
    header.parentElement!.setAttribute('aria-sort', active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none');
  }
  crumbs();
  const rows = $('rows');
  rows.replaceChildren();
  for (const folder of ordered(folders)) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.className = 'name';
    name.append(named(button(`📁 ${baseName(folder)}/`, () => void load(folder), `Open folder ${baseName(folder)}`), folder));
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    actions.append(
      ...only(['write'], () => button('Rename', () => void rename(folder.slice(0, -1)), `Rename folder ${baseName(folder)}`)),
      ...only(['delete'], () => button('Delete', () => void remove(folder.slice(0, -1), true), `Delete folder ${baseName(folder)}`)),
    );
    tr.append(name, cell('—'), cell('folder', 'wide'), cell('', 'wide'), actions);
    rows.append(tr);
  }
  for (const file of ordered(files, fileValue)) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.className = 'name';
    name.append(named(button(baseName(file.path), () => void download(file.path), `Download ${baseName(file.path)}`), file.path));
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    const n = baseName(file.path);
    actions.append(
      button('Download', () => void download(file.path), `Download ${n}`),
      ...only(['write'], () => button('Rename', () => void rename(file.path), `Rename ${n}`)),
      button('Versions', () => void openVersions(file.path), `Versions of ${n}`),
      ...only(['read', 'write'], () => button('Share', () => void share(file.path), `Share ${n}`)),
      ...only(['delete'], () => button('Delete', () => void remove(file.path, false), `Delete ${n}`)),
    );
    tr.append(name, cell(formatBytes(file.size)), cell(file.contentType, 'wide'), cell(formatTime(file.updatedAt), 'wide'), actions);
    rows.append(tr);
  }
  $('empty').hidden = files.length + folders.length > 0;
  $('more').hidden = cursor === null;
}

async function download(path: string): Promise<void> {
  try {
    const link = await client!.download(path, { disposition: 'attachment' });
    const a = document.createElement('a');
    a.href = link.url;
    a.download = baseName(path);
    document.body.append(a);
    a.click();
    a.remove();
  } catch (error) {
    actionFailed(error);
  }
}

async function rename(path: string): Promise<void> {
  const asked = prompt(`Rename or move "${path}" to:`, path);
  const to = asked?.replace(/^\/+|\/+$/g, '');
  if (!to || to === path) return;
  try {
    await client!.move(path, to);
    notify(`Moved ${path} to ${to}`);
    await load();
    await versionsAfter(path, (file) => `${to}${file.slice(path.length)}`);
  } catch (error) {
    actionFailed(error);
  }
}

async function remove(path: string, folder: boolean): Promise<void> {
  if (!confirm(folder ? `Delete the folder "${path}" and everything in it?` : `Delete "${path}"?`)) return;
  try {
    await client!.remove(path, { recursive: folder });
    notify(`Deleted ${path}`);
    await load();
    // A deleted file keeps its versions for a while: the panel shows them, none current, to restore.
    await versionsAfter(path);
  } catch (error) {
    actionFailed(error);
  }
}

/**
 * After the file or folder `path` was deleted, or moved (`now` says where each file went): a
 * versions panel open on it, or on a file in it, shows the versions as they are now.
 */
async function versionsAfter(path: string, now = (file: string) => file): Promise<void> {
  if (versionsOf !== null && (versionsOf === path || versionsOf.startsWith(`${path}/`))) await versions(now(versionsOf));
}

async function share(path: string): Promise<void> {
  const via = client!;
  try {
    const link = await via.share(path);
    const copied = await copy(link.url);
    if (client !== via) return;
    showLink(link.url, copied ? `Share link for ${baseName(path)}, copied:` : `Share link for ${baseName(path)} (not copied; select it to copy it):`);
    if (!$('links').hidden) await links();
  } catch (error) {
    actionFailed(error);
  }
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
  text.textContent = said;
  const again = button('Copy', async () => (text.textContent = (await copy(url)) ? 'Copied:' : 'Not copied (this browser does not allow it here); select the link to copy it:'), 'Copy share link');
  p.append(text, linkField(url, 'Share link'), again, button('Dismiss', () => p.remove(), 'Dismiss share link'));
  $('status').append(p);
}

async function openLinks(): Promise<void> {
  if (await links()) reveal($('links'));
}

/** The links still valid to files in the open folder and below, each with a button that ends it; whether they are shown. */
async function links(): Promise<boolean> {
  const panel = $('links');
  const via = client!;
  const folder = prefix;
  try {
    const list = await via.listShares(folder);
    if (client !== via || prefix !== folder) return false;
    keepFocus(
      () => {
        panel.replaceChildren(heading(folder ? `Share links in ${folder}` : 'Share links'), ...(list.length === 0 ? [noLinks()] : list.map((link) => linkRow(via, link, link.path.slice(folder.length)))));
        panel.append(button('Close', closeLinks, 'Close share links'));
        panel.hidden = false;
      },
      () => panel.querySelector('h2'),
    );
    return true;
  } catch (error) {
    fail(error);
    return false;
  }
}

function noLinks(): HTMLParagraphElement {
  const none = document.createElement('p');
  none.className = 'muted';
  none.textContent = 'No links here: a file’s “Share” button makes one.';
  return none;
}

/** A link to `name` (its path in the folder on screen): to copy, or to end. */
function linkRow(via: DfsClient, link: { id: string; url: string; expiresAt: string }, name: string): HTMLDivElement {
  const row = document.createElement('div');
  row.className = 'link';
  row.append(
    `${name} · expires ${formatTime(link.expiresAt)} `,
    linkField(link.url, `Share link to ${name}`),
    button('Copy', () => void copy(link.url).then((copied) => notify(copied ? `Copied the link to ${name}` : 'Not copied (this browser does not allow it here); select the link to copy it', !copied)), `Copy link to ${name}`),
    button('End', () => void end(via, link.id, name), `End link to ${name}`),
  );
  return row;
}

function closeLinks(): void {
  keepFocus(
    () => ($('links').hidden = true),
    () => $('show-links'),
  );
}

async function end(via: DfsClient, id: string, name: string): Promise<void> {
  if (!confirm(`End this link to "${name}"? Whoever has it will get “not found”.`)) return;
  let said = `Ended a link to ${name}`;
  try {
    await via.revokeShare(id);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'not_found')) return fail(error);
    // Another tab or client ended it first: what the person wanted is done, and the panel was behind.
    said = `That link to ${name} had already ended`;
  }
  if (client !== via) return;
  notify(said);
  await links();
}

async function openVersions(path: string): Promise<void> {
  if (await versions(path)) reveal($('versions'));
}

/** Shows the versions of `path` in the panel; whether they are shown. */
async function versions(path: string): Promise<boolean> {
  const via = client!;
  try {
    return await fillVersions(via, path);
  } catch (error) {
    if (versionsOf === path) closeVersions();
    actionFailed(error);
    return false;
  }
}

/** Fills the versions panel with those of `path`, if `via` is still signed in; the API's refusal comes as the rejection. */
async function fillVersions(via: DfsClient, path: string): Promise<boolean> {
  const list = await via.versions(path);
  if (client !== via) return false;
  const panel = $('versions');
  // Moved into another folder (a rename), the file is named in full: its Restore acts there, not here.
  const shownAs = parentOf(path) === prefix ? baseName(path) : path;
  keepFocus(
    () => {
      panel.replaceChildren(heading(`Versions of ${shownAs}`));
      for (const v of list) {
        const row = document.createElement('div');
        row.textContent = `${formatTime(v.createdAt)} · ${formatBytes(v.size)}${v.current ? ' · current' : ''} `;
        if (!v.current) row.append(...only(['write'], () => button('Restore', () => void restore(path, v.version), `Restore version from ${formatTime(v.createdAt)}`)));
        panel.append(row);
      }
      panel.append(button('Close', closeVersions, 'Close versions'));
      panel.hidden = false;
    },
    () => panel.querySelector('h2'),
  );
  versionsOf = path;
  return true;
}

/** Closes the versions panel; the focus in it goes back to the file's Versions button, if its row is on screen. */
function closeVersions(): void {
  const of = versionsOf;
  keepFocus(
    () => {
      $('versions').hidden = true;
      versionsOf = null;
    },
    () => (of !== null && parentOf(of) === prefix ? firstShown(...controlsNamed(`Versions of ${baseName(of)}`)) : null) ?? $('listing'),
  );
}

async function restore(path: string, version: string): Promise<void> {
  const via = client!;
  try {
    await via.restore(path, version);
    notify(`Restored ${baseName(path)}`);
    await load();
    await versions(path);
  } catch (error) {
    actionFailed(error);
    // Moved or deleted meanwhile (another tab): the panel shows what is left to restore there, or goes.
    if (error instanceof ApiError && error.code === 'not_found') await reviewVersions(via, path);
  }
}

/** The versions panel after another tab or client moved or deleted its file: what is left to restore there, else closed. */
async function reviewVersions(via: DfsClient, path: string): Promise<void> {
  try {
    await fillVersions(via, path);
  } catch {
    if (versionsOf === path) closeVersions();
  }
}

/** Told of an upload that failed: where it was going, the error, and what it means to the person. */
type FailureReport = (target: string, error: unknown, reason: string) => void;

/**
 * Queues `file` for `target`, its full path (the folder fixed when it was picked or dropped), in
 * the session `via`; a failure goes to `report`.
 */
function startUpload(via: DfsClient, file: File, target: string, report: FailureReport): void {
  // A drop box cannot see what is there: it must never replace a file, only be told the name is taken.
  const ifNoneMatch = may('read') ? undefined : '*';
  const controller = new AbortController();
  let queued = true;
  const row = uploadRow(target, file.size, () => {
    controller.abort();
    if (queued) row.cancelled();
  });
  uploads.add(controller);
  let sent = 0;
  void fileTurns(() => {
    controller.signal.throwIfAborted();
    queued = false;
    row.sending();
    return uploadFile(via, target, blobUpload(file), {
      contentType: file.type || undefined,
      // The page never resumes an upload: one that fails or is cancelled is not left on the server.
      abortOnCancel: true,
      abortOnFailure: true,
      ifNoneMatch,
      onProgress: (bytes) => row.progress((sent += bytes)),
      signal: controller.signal,
    });
  })
    .then(
      () => {
        row.done();
        if (target.startsWith(opening)) refreshSoon();
      },
      (error: unknown) => {
        if (controller.signal.aborted) return row.cancelled();
        const reason = explainUpload(target, error, ifNoneMatch !== undefined);
        row.failed(reason);
        report(target, error, reason);
      },
    )
    .finally(() => uploads.delete(controller));
}

interface UploadRow {
  sending(): void;
  progress(sent: number): void;
  done(): void;
  cancelled(): void;
  failed(reason: string): void;
}

function uploadRow(target: string, size: number, cancel: () => void): UploadRow {
  const li = document.createElement('li');
  const label = document.createElement('span');
  label.textContent = target;
  label.title = target;
  const rate = document.createElement('span');
  rate.className = 'muted';
  rate.textContent = 'queued';
  const stop = button('Cancel', cancel, `Cancel upload of ${target}`);
  const bar = document.createElement('progress');
  bar.max = Math.max(size, 1);
  bar.value = 0;
  bar.setAttribute('aria-label', `Upload progress of ${target}`);
  li.append(label, rate, stop, bar);
  $('uploads').append(li);
  let started = 0;
  // A failed row stays until cleared, saying why; the others leave after a while.
  const end = (state: 'done' | 'cancelled' | 'failed', text: string) => {
    if (li.dataset.state) return;
    li.dataset.state = state;
    rate.textContent = text;
    keepFocus(() => {
      stop.remove();
      summarizeUploads();
    }, nearUploads);
    if (state !== 'failed') setTimeout(() => li.remove(), FINISHED_ROW_MS);
  };
  return {
    sending() {
      started = performance.now();
      rate.textContent = '';
    },
    progress(sent) {
      bar.value = sent;
      rate.textContent = `${formatBytes(sent / Math.max((performance.now() - started) / 1000, 0.001))}/s`;
    },
    done() {
      bar.value = bar.max;
      rate.className = 'done';
      uploaded++;
      end('done', 'done');
    },
    cancelled: () => end('cancelled', 'cancelled'),
    failed(reason) {
      const why = document.createElement('span');
      why.className = 'reason';
      why.textContent = reason;
      bar.replaceWith(why);
      end('failed', 'failed');
    },
  };
}

function summarizeUploads(): void {
  const failed = $('uploads').querySelectorAll('li[data-state="failed"]').length;
  $('upload-count').textContent = describeUploads(uploaded, failed);
  $('upload-summary').hidden = uploaded + failed === 0;
}

/** Empties the list of uploads of those finished, failed ones included, and the count of those done. */
function clearUploads(): void {
  keepFocus(() => {
    for (const li of $('uploads').querySelectorAll('li[data-state]')) li.remove();
    uploaded = 0;
    summarizeUploads();
  }, nearUploads);
}

/** Where the focus goes when the control it was on among the uploads goes: another upload's Cancel, Clear, the drop zone. */
const nearUploads = () => firstShown($('uploads').querySelector('button'), $('clear-uploads'), $('drop'), $('listing'));

/**
 * Reports the failures of one pick or drop of `total` files in one notice, rewritten as more
 * fail: a notice each would cover the page.
 */
function failureReport(total: number): FailureReport {
  const failures: { target: string; reason: string }[] = [];
  const notice = document.createElement('p');
  return (target, error, reason) => {
    // A token no longer valid signs out, which cancels the rest.
    if (error instanceof ApiError && error.code === 'unauthorized') return fail(error);
    failures.push({ target, reason });
    notify(describeFailures(failures, total), true, notice);
  };
}

/** Queues files for `destination`, if the session they were picked or dropped in is still signed in. */
function uploadAll(via: DfsClient, destination: string, found: { file: File; path: string }[]): void {
  if (client !== via) return;
  const report = failureReport(found.length);
  for (const { file, path } of found) startUpload(via, file, `${destination}${path}`, report);
}

function wire(): void {
  $<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn($<HTMLInputElement>('token').value.trim());
  });
  $('retry').addEventListener('click', () => void signIn(retryToken));
  $('sign-out').addEventListener('click', signOut);
  $('refresh').addEventListener('click', () => void load());
  $('show-links').addEventListener('click', () => void openLinks());
  $('more').addEventListener('click', askMore);
  $('clear-uploads').addEventListener('click', clearUploads);
  window.addEventListener('popstate', followAddress);
  window.addEventListener('hashchange', followAddress);
  // Leaving the page ends the uploads under way: the browser asks first.
  window.addEventListener('beforeunload', (event) => {
    if (uploads.size > 0) event.preventDefault();
  });
  for (const id of ['pick-files', 'pick-folder']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      uploadAll(client!, prefix, Array.from(input.files ?? [], (file) => ({ file, path: pickedPath(file) })));
      input.value = '';
    });
  }
  const drop = $('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (!event.dataTransfer || !client) return;
    // The dropped items can be read only while the event is dispatched, and they go where the drop was.
    const entries = Array.from(event.dataTransfer.items, (item) => item.webkitGetAsEntry()).filter((entry) => entry !== null);
    const via = client;
    const destination = prefix;
    void droppedFiles(entries).then((found) => uploadAll(via, destination, found), fail);
  });
  drop.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    // Space would scroll the page too.
    event.preventDefault();
    $('pick-files').click();
  });
  for (const header of document.querySelectorAll<HTMLButtonElement>('th button[data-sort]')) {
    header.addEventListener('click', () => {
      const key = header.dataset.sort as typeof sort.key;
      sort = { key, dir: sort.key === key ? (-sort.dir as 1 | -1) : 1 };
      render();
    });
  }
}

wire();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved);
else $('sign-in').hidden = false;
