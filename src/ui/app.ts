/**
 * The web UI: a file browser over the dfs API. Uploads go straight to the object store through
 * the shared transfer engine (src/client), downloads through presigned URLs.
 */
import { ApiError, DfsClient } from '../client/api-client.ts';
import type { FileEntry } from '../client/api-types.ts';
import { blobUpload } from '../client/blob-upload.ts';
import { TransferError } from '../client/retry.ts';
import { uploadFile } from '../client/upload.ts';
import { explain, explainTransfer, formatBytes, formatTime } from './format.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const TOKEN_KEY = 'dfs-token';

let client: DfsClient | null = null;
let prefix = '';
let cursor: string | null = null;
let files: FileEntry[] = [];
let folders: string[] = [];
let sort: { key: 'name' | 'size' | 'type' | 'modified'; dir: 1 | -1 } = { key: 'name', dir: 1 };

function notify(text: string, isError = false): void {
  const p = document.createElement('p');
  p.textContent = text;
  if (isError) p.className = 'error';
  $('status').append(p);
  setTimeout(() => p.remove(), isError ? 8000 : 4000);
}

function fail(error: unknown): void {
  if (error instanceof ApiError) {
    notify(explain(error.code, error.message), true);
    if (error.code === 'unauthorized') signOut();
  } else if (error instanceof TransferError) notify(explainTransfer(error), true);
  else notify(error instanceof Error ? error.message : String(error), true);
}

async function signIn(token: string): Promise<boolean> {
  const candidate = new DfsClient({ endpoint: location.origin, token });
  try {
    const me = await candidate.whoami();
    client = candidate;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('who').textContent = `${me.name}${me.prefix ? ` · ${me.prefix}` : ''}`;
    $('sign-in').hidden = true;
    $('sign-in-error').textContent = '';
    $<HTMLInputElement>('token').value = '';
    $('browser').hidden = false;
    $('sign-out').hidden = false;
    prefix = me.prefix ?? '';
    await load(true);
    return true;
  } catch (error) {
    $('sign-in-error').textContent = error instanceof ApiError && error.status === 401 ? 'That token is not valid.' : explain('network', '');
    return false;
  }
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  client = null;
  $('browser').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('who').textContent = '';
}

async function load(reset: boolean): Promise<void> {
  if (!client) return;
  if (reset) {
    cursor = null;
    files = [];
    folders = [];
  }
  try {
    const page = await client.list({ prefix, delimiter: true, limit: 200, cursor });
    files.push(...page.files);
    folders.push(...page.folders);
    cursor = page.nextCursor;
    render();
  } catch (error) {
    fail(error);
  }
}

const baseName = (path: string) => path.replace(/\/$/, '').split('/').pop()!;

function crumbs(): void {
  const nav = $('crumbs');
  nav.replaceChildren();
  const parts = prefix.split('/').filter(Boolean);
  const add = (label: string, target: string) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', () => go(target));
    nav.append(b);
  };
  add('All files', '');
  parts.forEach((part, i) => {
    nav.append(document.createTextNode('/'));
    add(part, `${parts.slice(0, i + 1).join('/')}/`);
  });
}

function go(target: string): void {
  prefix = target;
  $('versions').hidden = true;
  void load(true);
}

function button(label: string, action: () => void, aria?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (aria) b.setAttribute('aria-label', aria);
  b.addEventListener('click', action);
  return b;
}

function compare(a: FileEntry, b: FileEntry): number {
  const value = (f: FileEntry) => ({ name: baseName(f.path), size: f.size, type: f.contentType, modified: f.updatedAt })[sort.key];
  const x = value(a);
  const y = value(b);
  return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
}

function render(): void {
  for (const header of document.querySelectorAll<HTMLButtonElement>('th button[data-sort]')) {
    const active = header.dataset.sort === sort.key;
    header.parentElement!.setAttribute('aria-sort', active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none');
  }
  crumbs();
  const rows = $('rows');
  rows.replaceChildren();
  for (const folder of [...folders].sort((a, b) => a.localeCompare(b) * (sort.key === 'name' ? sort.dir : 1))) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.className = 'name';
    name.append(button(`📁 ${baseName(folder)}/`, () => go(folder), `Open folder ${baseName(folder)}`));
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    actions.append(
      button('Rename', () => void rename(folder.slice(0, -1)), `Rename folder ${baseName(folder)}`),
      button('Delete', () => void remove(folder.slice(0, -1), true), `Delete folder ${baseName(folder)}`),
    );
    tr.append(name, cell('—'), cell('folder', 'wide'), cell('', 'wide'), actions);
    rows.append(tr);
  }
  for (const file of [...files].sort(compare)) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.className = 'name';
    name.append(button(baseName(file.path), () => void download(file.path), `Download ${baseName(file.path)}`));
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    const n = baseName(file.path);
    actions.append(
      button('Download', () => void download(file.path), `Download ${n}`),
      button('Rename', () => void rename(file.path), `Rename ${n}`),
      button('Versions', () => void versions(file.path), `Versions of ${n}`),
      button('Share', () => void share(file.path), `Share ${n}`),
      button('Delete', () => void remove(file.path, false), `Delete ${n}`),
    );
    tr.append(name, cell(formatBytes(file.size)), cell(file.contentType, 'wide'), cell(formatTime(file.updatedAt), 'wide'), actions);
    rows.append(tr);
  }
  $('empty').hidden = files.length + folders.length > 0;
  $('more').hidden = cursor === null;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
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
    fail(error);
  }
}

async function rename(path: string): Promise<void> {
  const to = prompt(`Rename or move "${path}" to:`, path);
  if (!to || to === path) return;
  try {
    await client!.move(path, to.replace(/^\/+|\/+$/g, ''));
    notify(`Moved ${path} to ${to}`);
    await load(true);
  } catch (error) {
    fail(error);
  }
}

async function remove(path: string, folder: boolean): Promise<void> {
  if (!confirm(folder ? `Delete the folder "${path}" and everything in it?` : `Delete "${path}"?`)) return;
  try {
    await client!.remove(path, { recursive: folder });
    notify(`Deleted ${path}`);
    await load(true);
  } catch (error) {
    fail(error);
  }
}

async function share(path: string): Promise<void> {
  try {
    const link = await client!.share(path);
    await navigator.clipboard?.writeText(link.url).catch(() => undefined);
    notify(`Share link (copied): ${link.url}`);
    $('status').lastElementChild?.setAttribute('data-share-url', link.url);
  } catch (error) {
    fail(error);
  }
}

async function versions(path: string): Promise<void> {
  const panel = $('versions');
  try {
    const list = await client!.versions(path);
    panel.replaceChildren();
    const h = document.createElement('h2');
    h.textContent = `Versions of ${baseName(path)}`;
    panel.append(h);
    for (const v of list) {
      const row = document.createElement('div');
      row.textContent = `${formatTime(v.createdAt)} · ${formatBytes(v.size)}${v.current ? ' · current' : ''} `;
      if (!v.current) {
        row.append(
          button('Restore', async () => {
            try {
              await client!.restore(path, v.version);
              notify(`Restored ${baseName(path)}`);
              await load(true);
              await versions(path);
            } catch (error) {
              fail(error);
            }
          }, `Restore version from ${formatTime(v.createdAt)}`),
        );
      }
      panel.append(row);
    }
    panel.append(button('Close', () => (panel.hidden = true)));
    panel.hidden = false;
  } catch (error) {
    fail(error);
  }
}

function startUpload(file: File, relativePath: string): void {
  const target = `${prefix}${relativePath}`;
  const li = document.createElement('li');
  const label = document.createElement('span');
  label.textContent = target;
  const rate = document.createElement('span');
  rate.className = 'muted';
  const controller = new AbortController();
  const cancel = button('Cancel', () => controller.abort(), `Cancel upload of ${target}`);
  const bar = document.createElement('progress');
  bar.max = Math.max(file.size, 1);
  bar.value = 0;
  bar.setAttribute('aria-label', `Upload progress of ${target}`);
  li.append(label, rate, cancel, bar);
  $('uploads').append(li);
  const started = performance.now();
  let sent = 0;
  uploadFile(client!, target, blobUpload(file), {
    contentType: file.type || undefined,
    abortOnCancel: true,
    onProgress: (bytes) => {
      sent += bytes;
      bar.value = sent;
      rate.textContent = `${formatBytes(sent / Math.max((performance.now() - started) / 1000, 0.001))}/s`;
    },
    signal: controller.signal,
  }).then(
    () => {
      bar.value = bar.max;
      rate.textContent = 'done';
      rate.className = 'done';
      cancel.remove();
      li.dataset.state = 'done';
      void load(true);
    },
    (error: unknown) => {
      li.dataset.state = 'failed';
      rate.textContent = controller.signal.aborted ? 'cancelled' : 'failed';
      cancel.remove();
      if (!controller.signal.aborted) fail(error);
    },
  );
}

function uploadAll(list: Iterable<File>): void {
  for (const file of list) startUpload(file, file.webkitRelativePath || file.name);
}

async function droppedFiles(items: DataTransferItemList): Promise<{ file: File; path: string }[]> {
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: `${path}${file.name}` });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${path}${entry.name}/`);
      }
    }
  };
  for (const item of Array.from(items)) {
    const entry = item.webkitGetAsEntry();
    if (entry) await walk(entry, '');
  }
  return out;
}

function wire(): void {
  $<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn($<HTMLInputElement>('token').value.trim());
  });
  $('sign-out').addEventListener('click', signOut);
  $('refresh').addEventListener('click', () => void load(true));
  $('more').addEventListener('click', () => void load(false));
  for (const id of ['pick-files', 'pick-folder']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      uploadAll(input.files ?? []);
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
    if (!event.dataTransfer) return;
    void droppedFiles(event.dataTransfer.items).then((found) => found.forEach(({ file, path }) => startUpload(file, path)));
  });
  drop.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') $('pick-files').click();
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
if (saved) void signIn(saved).then((ok) => ok || signOut());
else $('sign-in').hidden = false;
