/**
 * The web UI: a file browser over the dfs API. Uploads go straight to the object store through
 * the shared transfer engine (src/client), downloads through presigned URLs.
 */
import { ApiError, DfsClient } from '../client/api-client.ts';
import type { FileEntry, FileList, Scope, Whoami } from '../client/api-types.ts';
import { $, askFor, button, cell, confirmed, named } from './elements.ts';
import { firstShown, focusIfLost, keepFocus, type FocusMark } from './focus.ts';
import { explainError, explainUnanswered, formatBytes, formatTime } from './format.ts';
import { baseName, parentOf, visible } from './names.ts';
import { keepRoomForNotices, notify } from './notices.ts';
import type { Page } from './page.ts';
import { droppedFiles, pickedPath } from './picked-files.ts';
import { shareLinks } from './share-links.ts';
import { cancelUploads, clearUploads, forgetUploads, uploadsUnderWay } from './upload-list.ts';
import { uploads } from './uploads.ts';
import { versionsPanel } from './versions-panel.ts';

const TOKEN_KEY = 'dfs-token';
const SESSION_KEY = 'dfs-session';
const PAGE_SIZE = 200;
/** The most entries one listing request may ask for. */
const MAX_PAGE_SIZE = 1000;
/** Uploads finishing within this long of each other refresh the listing once, not once each. */
const REFRESH_DELAY_MS = 250;

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
/** The token "Try again" signs in with: one the server did not answer for, so said nothing about. */
let retryToken = '';

/** What the panels and uploads see of the page. */
const page: Page = {
  get client() {
    return client;
  },
  get folder() {
    return prefix;
  },
  may: (scope) => may(scope),
  reload: () => load(),
  fail: (error) => fail(error),
  actionFailed: (error) => actionFailed(error),
};
const links = shareLinks(page);
const versions = versionsPanel(page);
const sending = uploads(page, (target) => {
  if (target.startsWith(opening)) refreshSoon();
});

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
  $('who').textContent = visible(`${me.name}${me.prefix ? ` · ${me.prefix}` : ''}`);
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  $('retry').hidden = true;
  $<HTMLInputElement>('token').value = '';
  $('browser').hidden = false;
  $('sign-out').hidden = false;
  home = me.prefix ?? '';
  prefix = opening = home;
  permit();
  if (may('read')) {
    // The folder the address names (a reload, a link; not one an earlier sign-in left in the history), else the
    // token's own, which also stands for any above it; one it may not list gives way to that.
    const start = within(ownAddress() ?? home);
    address(start, 'same');
    if ((await load(start)) === 'failed' && start !== home) await load(home);
  }
  arrive();
}

/**
 * The sign-in form the focus was on is gone: the focus goes to where the person now is (the folder
 * open, else the upload, else what the token is for), unless they have moved it on meanwhile.
 */
function arrive(): void {
  focusIfLost(firstShown($('crumbs').querySelector('[aria-current]'), $('drop'), $('listing'), $('token-note')));
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
  note.textContent = visible(may('write') ? `This token may upload but not list: what you upload goes into ${home ? `the folder ${home}` : 'the top level'}, and is not shown here.` : unusable());
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
  showSignIn();
}

/** The sign-in form, with the focus in its token field: signing in is all there is to do then. */
function showSignIn(): void {
  $('sign-in').hidden = false;
  $('token').focus();
}

function signOut(): void {
  // Cancelled while the token is still here: cancelling aborts each upload on the server.
  cancelUploads();
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
  $('who').textContent = '';
  showSignIn();
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
  $('crumbs').replaceChildren();
  $('rows').replaceChildren();
  $('empty').hidden = true;
  $('more').hidden = true;
  $('sort-note').replaceChildren();
  forgetUploads();
  closePanels();
  $('status').replaceChildren();
}

function closePanels(): void {
  versions.close();
  links.close();
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
      ...only(['write'], () => button('Rename', () => void rename(folder.slice(0, -1), true), `Rename folder ${baseName(folder)}`)),
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
      ...only(['write'], () => button('Rename', () => void rename(file.path, false), `Rename ${n}`)),
      button('Versions', () => void versions.open(file.path), `Versions of ${n}`),
      ...only(['read', 'write'], () => button('Share', () => void links.share(file.path), `Share ${n}`)),
      ...only(['delete'], () => button('Delete', () => void remove(file.path, false), `Delete ${n}`)),
    );
    tr.append(name, cell(formatBytes(file.size)), cell(file.contentType, 'wide'), cell(formatTime(file.updatedAt), 'wide'), actions);
    rows.append(tr);
  }
  $('empty').hidden = files.length + folders.length > 0;
  $('more').hidden = cursor === null;
  sortNote();
}

/**
 * Any order but the server's (by name, ascending) is that of the rows loaded only, which says so
 * while there are more pages. Loading them all before sorting could take a big folder thousands of
 * requests, for an order the person may need only among the rows in sight; "Load more" adds the
 * rest, sorted in, on request. The note is emptied rather than hidden, so it is announced when said.
 */
function sortNote(): void {
  const partial = cursor !== null && !(sort.key === 'name' && sort.dir === 1);
  const said = partial ? `Sorted among the ${files.length + folders.length} entries loaded; load the rest to sort them all.` : '';
  // A live region reads out every write: the same words again on each refresh would be noise.
  if ($('sort-note').textContent !== said) $('sort-note').textContent = said;
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

async function rename(path: string, folder: boolean): Promise<void> {
  const asked = askFor(`Rename or move "${path}" to (ending in / moves it into that folder):`, path);
  // OK on the name as offered changes nothing, even one that ends in a space.
  if (asked === null || asked === path) return;
  // Spaces around a name pasted in are almost never meant, and would make a folder named "  r".
  const answer = asked.trim();
  // A trailing "/" names a folder to move into, keeping the name, as `dfs mv` does; a
  // leading one, the top level.
  const given = answer.replace(/^\/+|\/+$/g, '');
  const to = answer.endsWith('/') ? `${given ? `${given}/` : ''}${baseName(path)}` : given;
  if (!to || to === path) return;
  const via = client!;
  try {
    if (folder && !(await mayMerge(via, path, to))) return;
    await via.move(path, to);
    notify(`Moved ${path} to ${to}`);
    await load();
    await versions.after(path, (file) => `${to}${file.slice(path.length)}`);
  } catch (error) {
    actionFailed(error);
  }
}

/**
 * Whether the folder `from` may go to `to`: the API merges two folders whose file names do not
 * clash, without a word, so one there already is merged into only when the person says so.
 */
async function mayMerge(via: DfsClient, from: string, to: string): Promise<boolean> {
  const there = await via.list({ prefix: `${to}/`, limit: 1 });
  return there.files.length === 0 || confirmed(`The folder "${to}" already exists: move the files of "${from}" into it?`);
}

async function remove(path: string, folder: boolean): Promise<void> {
  if (!confirmed(folder ? `Delete the folder "${path}" and everything in it?` : `Delete "${path}"?`)) return;
  try {
    await client!.remove(path, { recursive: folder });
    notify(`Deleted ${path}`);
    await load();
    // A deleted file keeps its versions for a while: the panel shows them, none current, to restore.
    await versions.after(path);
  } catch (error) {
    actionFailed(error);
  }
}

/** The page's Refresh: what another tab or client changed shows in the open panels too, not in the listing alone. */
async function refreshAll(): Promise<void> {
  // A listing that failed has said why: the panels would only say it again, and keep what they show.
  if ((await load()) === 'shown') await Promise.all([links.refresh(), versions.refresh()]);
}

function wire(): void {
  $<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn($<HTMLInputElement>('token').value.trim());
  });
  $('retry').addEventListener('click', () => void signIn(retryToken));
  $('sign-out').addEventListener('click', signOut);
  $('refresh').addEventListener('click', () => void refreshAll());
  $('show-links').addEventListener('click', () => void links.open());
  $('more').addEventListener('click', askMore);
  $('clear-uploads').addEventListener('click', clearUploads);
  $('cancel-uploads').addEventListener('click', cancelUploads);
  window.addEventListener('popstate', followAddress);
  window.addEventListener('hashchange', followAddress);
  // Leaving the page ends the uploads under way: the browser asks first.
  window.addEventListener('beforeunload', (event) => {
    if (uploadsUnderWay()) event.preventDefault();
  });
  for (const id of ['pick-files', 'pick-folder']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      sending.uploadAll(client!, prefix, Array.from(input.files ?? [], (file) => ({ file, path: pickedPath(file) })));
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
    void droppedFiles(entries).then((found) => sending.uploadAll(via, destination, found), fail);
  });
  // A screen reader in browse mode activates a button by clicking it, not by a key.
  drop.addEventListener('click', () => $('pick-files').click());
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
keepRoomForNotices();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved);
else showSignIn();
