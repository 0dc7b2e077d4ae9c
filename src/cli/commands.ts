/** Every `dfs` command, on commander; the interactive menu calls the same actions. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { constants } from 'node:os';
import pkg from '../../package.json' with { type: 'json' };
import { ApiError, DfsClient } from '../client/api-client.ts';
import type { FileEntry, Scope } from '../client/api-types.ts';
import { MAX_BATCH } from '../client/batch-upload.ts';
import { DEFAULT_OUTAGE_LIMIT_MS, OutageWatch } from '../client/outage.ts';
import { apiFetch } from './api-fetch.ts';
import { getFiles, getToStandardOutput, planGet } from './get-files.ts';
import { copyFolder, namingBothEnds, suggestForce } from './copy-folder.ts';
import { confirm, fileLine, folderLine, notice, print, shareLine, shellWord, shown, tokenLine, versionLine, type Output } from './output.ts';
import { endpointUrl, loadProfile, namedProfile, saveProfile } from './profiles.ts';
import { planPut, putFiles, putStream } from './put-files.ts';
import { folderNamed, holdsAnything, remoteArg, remoteFileArg, remotePath } from './remote-path.ts';
import { isStream, openStream, streamName } from './stream-input.ts';
import { BIG_FILES_IN_FLIGHT, FileError, TransferFailures, UsageError, type PlannedTransfer, type TransferOptions, type TransferReport } from './transfer.ts';

interface GlobalOptions {
  profile?: string;
  json?: boolean;
  quiet?: boolean;
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
};

/** What the API's batch routes take. */
const batchSize = (value: string) => {
  const n = positiveInt(value);
  if (n > MAX_BATCH) throw new InvalidArgumentError(`at most ${MAX_BATCH}, what one API request takes`);
  return n;
};

/** What S3 takes for a part (the last may be smaller). */
const partSizeMiB = (value: string) => {
  const n = positiveInt(value);
  if (n < 5 || n > 5120) throw new InvalidArgumentError('a part holds 5 to 5120 MiB');
  return n;
};

/** "7d", "12h", "30m", "90s" or plain seconds. */
export const duration = (value: string) => {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('use seconds or a number with s, m, h or d (e.g. 7d)');
  const seconds = Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds === 0) throw new InvalidArgumentError('must be longer than 0');
  return seconds;
};

/** A duration the API takes up to `maxDays` of, refused here in the option's terms rather than the API's. */
const lifetime = (maxDays: number) => (value: string) => {
  const seconds = duration(value);
  if (seconds > maxDays * 86400) throw new InvalidArgumentError(`at most ${maxDays}d`);
  return seconds;
};

/** What the API takes for a token's name. */
const tokenName = (value: string) => {
  if (value.trim() === '') throw new InvalidArgumentError('a token needs a name to tell it by');
  if (value.length > 200) throw new InvalidArgumentError('at most 200 characters');
  return value;
};

/** DFS_OUTAGE_LIMIT: how long the store may fail every request before a transfer stops (outage.ts). */
const outageLimitMs = () => {
  const value = process.env.DFS_OUTAGE_LIMIT;
  if (value === undefined || value === '') return DEFAULT_OUTAGE_LIMIT_MS;
  try {
    return duration(value) * 1000;
  } catch (error) {
    throw new UsageError(`DFS_OUTAGE_LIMIT="${value}": ${(error as Error).message}`);
  }
};

/** Every command's --help ends with examples: the lines as typed, each with what it does. */
const examples = (...lines: [string, string][]) => {
  const width = Math.max(...lines.map(([command]) => command.length));
  return `\nExamples:\n${lines.map(([command, what]) => `  ${command.padEnd(width)}  ${what}`).join('\n')}`;
};

/**
 * Where `from` goes when moved or copied to `to`, as mv and cp read it (and put does): into `to`,
 * keeping its name, when `to` ends in "/" or is a folder already; else `to` is its new name.
 * `into` says which: only a path made so may hold a folder the API would merge into.
 */
async function placed(api: DfsClient, from: string, to: string, asName = false): Promise<{ path: string; into: boolean }> {
  const name = remotePath(from).replace(/\/+$/, '').split('/').at(-1)!;
  const target = remoteArg(to);
  // -T (as GNU cp and mv take it): `to` is the name, whatever is there.
  if (asName) return { path: target.replace(/\/+$/, ''), into: false };
  if (to.endsWith('/')) return { path: `${target}${name}`, into: true };
  if (target !== '' && (await holdsAnything(api, `${target}/`))) return { path: `${target}/${name}`, into: true };
  return { path: target, into: false };
}

/** `cp -r` names a folder (`source`, typed as `typed`), or one file as `cp -r` does locally: null for a file. */
async function copiedFolder(api: DfsClient, source: string, typed: string): Promise<string | null> {
  const name = source.replace(/\/+$/, '');
  if (name === source && name !== '' && (await api.stat(name).then(() => true, () => false))) return null;
  return folderNamed(api, source, typed);
}

/** Copy without -r naming a folder: the API says it copies one file; here the way to a folder is a flag. */
const suggestRecursive = (typed: string) => (error: unknown): never => {
  if (error instanceof ApiError && error.reason === 'is_folder') {
    throw new FileError(typed, new Error('is a folder (use -r to copy it and everything in it)'));
  }
  throw error;
};

/**
 * What stops a transfer from outside: Ctrl-C, a kill (timeout, a CI job cancelled). Not SIGHUP:
 * a listener would override the SIG_IGN of `nohup dfs put ...`, which must outlive its terminal.
 */
const STOPPING_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Ctrl-C (or a kill) mid-transfer: what a rerun needs is already on disk (sent parts, finished
 * ranges), so say how to continue rather than dying silently. Exiting rather than dying runs
 * the exit handlers: a copy of standard input and the download locks are removed.
 */
async function explainingInterrupt<T>(hint: string, transfer: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\ndfs: ${signal === 'SIGINT' ? 'interrupted' : `stopped by ${signal}`}; ${hint}\n`);
    process.exit(128 + constants.signals[signal]);
  };
  for (const signal of STOPPING_SIGNALS) process.once(signal, onSignal);
  try {
    return await transfer();
  } finally {
    // The menu runs many commands in one process: Ctrl-C at its prompt is not a transfer's.
    for (const signal of STOPPING_SIGNALS) process.off(signal, onSignal);
  }
}

export function buildProgram(): Command {
  const program = new Command('dfs')
    .description('dfs: files on your own bucket, from the terminal')
    .version(pkg.version, '-V, --version')
    .option('-p, --profile <name>', 'use a saved profile (see dfs login)')
    .option('--json', 'machine-readable output')
    .option('-q, --quiet', 'no progress, notices or lines saying what was done: only errors and what a command is for (a listing, a link, a token)')
    .showHelpAfterError('(run with --help for usage)')
    // Before any subcommand exists, so they inherit it: usage errors reach main() as exit 2.
    .exitOverride()
    .addHelpText(
      'after',
      `${examples(
        ['dfs login --endpoint http://127.0.0.1:8787 --token dfs_...', 'save where and who'],
        ['dfs put report.pdf docs/', 'upload into the folder docs/'],
        ['dfs put -r photos backups/', 'upload a folder tree'],
        ['dfs ls -l docs/', 'list a folder'],
        ['dfs get -r backups/photos ./restore', 'download a folder'],
        ['dfs share docs/report.pdf --expires 7d', 'a link for a week'],
      )}

Environment: DFS_ENDPOINT and DFS_TOKEN override the saved profile; DFS_OUTAGE_LIMIT (default 60s)
is how long the store may fail every request before a put or get stops.`,
    );

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const printPlan = (direction: 'put' | 'get', { done, failed }: TransferReport<PlannedTransfer>) => {
    const arrow = (f: PlannedTransfer) => (direction === 'get' ? `${shown(f.remote)} -> ${shown(f.local)}` : `${shown(f.local)} -> ${shown(f.remote)}`);
    print(out(), done, () => done.map((f) => (f.action === 'unchanged' ? `unchanged ${arrow(f)}` : `would ${f.action} ${arrow(f)}`)).join('\n'));
    if (failed.length > 0) throw new TransferFailures(failed);
  };
  const out = (): Output => ({ json: globals().json === true, quiet: globals().quiet === true });
  const connect = (profile: { endpoint: string; token: string }) => new DfsClient({ ...profile, fetch: apiFetch });
  const client = async () => connect(await loadProfile(globals().profile));
  const transfer = (o: { recursive?: boolean; exclude?: string[]; jobs: number; batch: number; parts: number; partSize?: number; force?: boolean }): TransferOptions => {
    const outage = new OutageWatch(outageLimitMs());
    return {
      recursive: o.recursive === true,
      exclude: o.exclude ?? [],
      force: o.force === true,
      jobs: o.jobs,
      batch: o.batch,
      parts: o.parts,
      partSize: o.partSize === undefined ? undefined : o.partSize * 1024 * 1024,
      progress: process.stderr.isTTY === true && !out().quiet && !out().json,
      quiet: out().quiet,
      outage,
      signal: outage.signal,
    };
  };
  // Measured on Ceph (docs/benchmarks.md): more parts in flight than this only add store load.
  const transferOptions = (command: Command, partsInFlight: number) =>
    command
      .option('-r, --recursive', 'folders and everything under them')
      .option('-n, --dry-run', 'print what would be transferred or skipped, and transfer nothing')
      .option('-x, --exclude <pattern>', 'leave out of folders what matches (repeatable): a name at any depth ("node_modules", "*.log") or, with "/", a path inside the folder ("build/**")', (value: string, previous: string[] = []) => [...previous, value])
      .option('-j, --jobs <n>', 'small files in flight at once', positiveInt, 128)
      .option('--batch <n>', `small files per API request (at most ${MAX_BATCH})`, batchSize, 100)
      .option('--parts <n>', `parts (or ranges) of big files in flight at once, shared by up to ${BIG_FILES_IN_FLIGHT} big files moving together`, positiveInt, partsInFlight);

  program
    .command('login')
    .description('save an endpoint and token (in ~/.config/dfs/config.json, mode 0600)')
    // A UsageError rather than commander's InvalidArgumentError: one line saying what to type, exit 2.
    .requiredOption('--endpoint <url>', 'the dfs API, e.g. http://127.0.0.1:8787', endpointUrl)
    .requiredOption('--token <token>', 'an access token')
    .addHelpText('after', examples(['dfs login --endpoint https://files.example.com --token dfs_...', 'save as the default profile'], ['dfs login --endpoint https://files.example.com --token dfs_... --profile work', 'save as "work" (use it with -p work)']))
    .action(async (o: { endpoint: string; token: string }) => {
      const whoami = await connect(o)
        .whoami()
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401) throw new Error(`${o.endpoint} refused the token: check it (mistyped, revoked or expired)`);
          throw error;
        });
      // A login that names no profile is the one commands use when they name none.
      const named = namedProfile(globals().profile);
      const profile = named ?? 'default';
      const path = await saveProfile(profile, { endpoint: o.endpoint, token: o.token }, named === undefined);
      confirm(out(), { profile, ...whoami }, () => `logged in as "${shown(whoami.name)}" [${whoami.scopes.join(',')}]; saved to ${path} as profile "${profile}"`);
    });

  program
    .command('whoami')
    .description('the token in use')
    .addHelpText('after', examples(['dfs whoami', 'name, scopes and folder of the token'], ['dfs -p work --json whoami', 'the same for a saved profile, as JSON']))
    .action(async () => {
      const me = await (await client()).whoami();
      print(out(), me, () => `${shown(me.name)} [${me.scopes.join(',')}]${me.prefix ? ` limited to ${shown(me.prefix)}` : ''}`);
    });

  transferOptions(
    program
      .command('put')
      .description('upload files (and folders with -r); files whose content is already stored at their path are skipped')
      .argument('<local...>', 'files or folders ("-" for standard input); the last argument is the remote destination when there are two or more')
      .option('-f, --force', 'send files even when the same content is already stored at their path (a new version each)')
      .option('--part-size <MiB>', 'multipart part size in MiB, 5 to 5120 (default: about 16 parts per file, 8 to 64 MiB each)', partSizeMiB)
      .addHelpText(
        'after',
        examples(
          ['dfs put a.txt', '-> a.txt'],
          ['dfs put a.txt docs/', '-> docs/a.txt'],
          ['dfs put a.txt docs', '-> docs/a.txt when docs is a folder, else the file docs'],
          ['dfs put a.txt docs/b.txt', '-> docs/b.txt'],
          ['dfs put -r photos backup/', '-> backup/photos/...; rerun after an interruption, it sends only what is missing'],
          ['dfs put -r app backup/ -x node_modules -x "*.log"', 'the folder without node_modules folders and log files'],
          ['dfs put -r -n app backup/', 'print what would be sent or skipped, send nothing'],
          ['pg_dump mydb | dfs put - backups/mydb.sql', 'standard input to backups/mydb.sql'],
          ['dfs put <(pg_dump mydb) backups/mydb.sql', 'a pipe or a FIFO, read as standard input is'],
        ),
      ),
    4,
  ).action(async (args: string[], o) => {
    const [locals, given] = args.length > 1 ? [args.slice(0, -1), args.at(-1)] : [args, undefined];
    const remote = given === undefined ? undefined : remoteArg(given);
    const stream = locals.length === 1 && (await isStream(locals[0]!));
    const namesFile = remote !== undefined && remote !== '' && !remote.endsWith('/');
    if ((stream || locals.includes('-')) && (locals.length > 1 || !namesFile || o.dryRun)) {
      throw new UsageError(
        locals.includes('-')
          ? '"-" (standard input) goes alone, to a named remote file, and not with --dry-run: dfs put - backups/db.sql'
          : `${shown(locals[0]!)} is a pipe or a device, read as a stream: it goes alone, to a named remote file, and not with --dry-run: dfs put <(pg_dump mydb) backups/db.sql`,
      );
    }
    const api = await client();
    if (o.dryRun) return printPlan('put', await planPut(api, locals, remote, transfer(o)));
    const hint = stream
      ? `${streamName(locals[0]!)} cannot be resumed: send it again`
      : 'run the same command again to continue: files already stored are skipped and sent parts are not sent again';
    const { done, failed } = await explainingInterrupt(hint, async () =>
      stream
        ? putStream(api, await openStream(locals[0]!), streamName(locals[0]!), remote!, transfer(o))
        : putFiles(api, locals, remote, transfer(o)),
    );
    confirm(out(), done, () => done.map((f) => `${f.unchanged ? 'unchanged' : 'uploaded'} ${shown(f.path)}`).join('\n'));
    if (failed.length > 0) throw new TransferFailures(failed);
  });

  transferOptions(
    program
      .command('get')
      .description('download files (and folders with -r), verifying SHA-256; local files that already hold the same content are skipped')
      .argument('<remote...>', 'files or folders; the last argument is the local destination ("-" for standard output) when there are two or more')
      .option('-f, --force', 'download files even when the local file already holds the same content')
      .addHelpText(
        'after',
        examples(
          ['dfs get docs/a.txt', '-> ./a.txt'],
          ['dfs get docs/a.txt b.txt', '-> ./b.txt'],
          ['dfs get -r docs ./backup', '-> ./backup/docs/...; rerun after an interruption, it fetches only what is missing'],
          ['dfs get -r / ./all', 'everything the token sees'],
          ['dfs get -r docs . -x "drafts/**"', 'docs without docs/drafts'],
          ['dfs get docs/data.csv - | head', 'to standard output'],
        ),
      ),
    6,
  ).action(async (args: string[], o) => {
    const [given, local] = args.length > 1 ? [args.slice(0, -1), args.at(-1)] : [args, undefined];
    const remotes = given.map(remoteArg);
    const api = await client();
    if (local === '-') {
      if (remotes.length > 1 || o.recursive) throw new UsageError('"-" (standard output) takes one file, without -r: dfs get docs/a.txt -');
      if (o.dryRun) throw new UsageError('"-" (standard output) cannot be planned with --dry-run: dfs stat shows what would come');
      // Standard output carries the file itself: nothing else is printed there.
      return getToStandardOutput(api, remotes[0]!, process.stdout, transfer(o));
    }
    if (o.dryRun) return printPlan('get', await planGet(api, remotes, local, transfer(o)));
    const { done, failed } = await explainingInterrupt('run the same command again to continue: files already downloaded are skipped and big files resume from their .dfs-part files', () =>
      getFiles(api, remotes, local, transfer(o)),
    );
    confirm(out(), done, () => done.map((f) => `${f.unchanged ? 'unchanged' : 'downloaded'} ${shown(f.remote)} -> ${shown(f.local)}`).join('\n'));
    if (failed.length > 0) throw new TransferFailures(failed);
  });

  program
    .command('ls')
    .description('list files and folders')
    .argument('[prefix]', 'a folder or a name prefix', '')
    .option('-l, --long', 'size and modification time')
    .option('-r, --recursive', 'everything under the prefix, not just one level')
    .addHelpText('after', examples(['dfs ls', 'the top level'], ['dfs ls -l docs', 'docs/ with sizes and times'], ['dfs ls -r --json docs/2026', 'everything below, as JSON'], ['dfs ls docs/rep', 'names in docs/ starting with "rep"']))
    .action(async (arg: string, o: { long?: boolean; recursive?: boolean }) => {
      const api = await client();
      const prefix = remotePath(arg);
      // "docs" lists the folder docs/; "docs/rep", naming no folder, lists the names starting
      // with it. (A file and a folder never share a name: a file named so is listed as itself.)
      const normalized = prefix && !prefix.endsWith('/') && (await holdsAnything(api, `${prefix}/`)) ? `${prefix}/` : prefix;
      const files: FileEntry[] = [];
      const folders: string[] = [];
      for await (const page of api.listAll({ prefix: normalized, delimiter: !o.recursive })) {
        files.push(...page.files);
        folders.push(...page.folders);
      }
      // Named with its "/", a folder holding nothing is none (a folder is the files under it): a
      // typo says so, as ls does, rather than listing nothing.
      if (prefix.endsWith('/') && files.length === 0 && folders.length === 0) throw new FileError(arg, new Error('no such folder'));
      print(out(), { files, folders }, () =>
        [...folders.map((f) => folderLine(f, o.long === true)), ...files.map((f) => fileLine(f, o.long === true))].join('\n'),
      );
    });

  program
    .command('stat')
    .description('metadata of a file')
    .argument('<path>')
    .addHelpText('after', examples(['dfs stat docs/a.txt', 'size, SHA-256, version, times'], ['dfs stat --json docs/a.txt', 'the same as JSON']))
    .action(async (path: string) => {
      const file = await (await client()).stat(remoteFileArg(path));
      print(out(), file, () => Object.entries(file).map(([k, v]) => `${k}: ${typeof v === 'string' ? shown(v) : v}`).join('\n'));
    });

  program
    .command('rm')
    .description('delete a file, or a folder with -r')
    .argument('<path...>')
    .option('-r, --recursive', 'folders and everything under them')
    .addHelpText('after', examples(['dfs rm docs/a.txt', 'one file (its versions stay restorable until pruned)'], ['dfs rm -r old/', 'a folder and everything in it']))
    .action(async (paths: string[], o: { recursive?: boolean }) => {
      const remotes = paths.map(remoteArg);
      const api = await client();
      const deleted: string[] = [];
      const failed: Error[] = [];
      for (const [i, path] of paths.entries()) {
        try {
          await api.remove(await folderNamed(api, remotes[i]!, path), { recursive: o.recursive === true });
          deleted.push(path);
        } catch (error) {
          // The API's own words name its query parameter; here the way is a flag.
          const folder = error instanceof ApiError && error.status === 409 && o.recursive !== true;
          failed.push(folder ? new FileError(path, new Error('is a folder (use -r to delete it and everything in it)')) : (error as Error));
        }
      }
      confirm(out(), { deleted }, () => deleted.map((p) => `deleted ${shown(p)}`).join('\n'));
      if (failed.length > 0) throw new TransferFailures(failed);
    });

  program
    .command('mv')
    .description('rename or move a file or folder (no bytes are copied)')
    .argument('<from>')
    .argument('<to>')
    .option('-f, --force', 'replace what exists at the destination')
    .option('-T, --no-target-directory', 'the destination is the new name, even of a folder there (its files are merged with)')
    .addHelpText('after', examples(['dfs mv a.txt docs/a.txt', 'move a file'], ['dfs mv docs archive/docs', 'move a folder with everything in it'], ['dfs mv -f new.txt a.txt', 'replace a.txt (its old version is kept)']))
    .action(async (from: string, to: string, o: { force?: boolean; targetDirectory: boolean }) => {
      const source = remoteArg(from);
      const api = await client();
      const { path: target, into } = await placed(api, from, to, !o.targetDirectory);
      // Into a folder there, a folder of the same name there too: the API would merge the two, as
      // mv(1) never does ("Directory not empty"). -T asks for it.
      if (into && (await holdsAnything(api, `${target}/`))) {
        throw new FileError(to, new Error(`${shown(target)} is a folder holding files already: dfs mv -T ${shellWord(from)} ${shellWord(target)} merges into it`));
      }
      const result = await api.move(await folderNamed(api, source, from), target, o.force === true).catch(suggestForce(o.force)).catch(namingBothEnds(from, target));
      confirm(out(), result, () => `moved ${result.moved} file${result.moved === 1 ? '' : 's'}: ${shown(from)} -> ${shown(target) || '/'}`);
    });

  program
    .command('cp')
    .description('copy a file, or a folder with -r (the stored bytes are shared)')
    .argument('<from>')
    .argument('<to>')
    .option('-r, --recursive', 'a folder and everything under it')
    .option('-f, --force', 'replace what exists at the destination')
    .option('-T, --no-target-directory', 'the destination is the new name, even of a folder there (copied into as it is)')
    .addHelpText(
      'after',
      examples(
        ['dfs cp report.pdf archive/report.pdf', 'a second file sharing the stored bytes'],
        ['dfs cp -r docs archive/', 'the folder with everything in it -> archive/docs/...'],
        ['dfs cp -rT docs backup', 'docs/... -> backup/..., whether backup is there or not (finishes an interrupted copy)'],
      ),
    )
    .action(async (from: string, to: string, o: { recursive?: boolean; force?: boolean; targetDirectory: boolean }) => {
      const source = remoteArg(from);
      if (o.recursive !== true && source.endsWith('/')) throw new UsageError(`${shown(from)} names a folder: copy it with -r`);
      const api = await client();
      const { path: target } = await placed(api, from, to, !o.targetDirectory);
      const folder = o.recursive === true ? await copiedFolder(api, source, from) : null;
      if (folder === null) {
        const file = await api
          .copy(remoteFileArg(from), target, o.force === true)
          .catch(suggestForce(o.force))
          .catch(suggestRecursive(from))
          .catch(namingBothEnds(from, target));
        confirm(out(), file, () => `copied ${shown(from)} -> ${shown(file.path)}`);
        return;
      }
      // What is copied stays, each file whole: a rerun with -T onto the same name copies the rest.
      const again = `dfs cp -rT${o.force === true ? 'f' : ''} ${shellWord(from)} ${shellWord(target || '/')}`;
      const report = await explainingInterrupt(`the files copied so far are in ${shown(target) || '/'}: ${again} copies the rest`, () =>
        copyFolder(api, folder, target.replace(/\/+$/, ''), { overwrite: o.force === true, quiet: out().quiet }),
      );
      confirm(out(), { copied: report.copied, unchanged: report.unchanged }, () => {
        const count = (n: number, what: string) => `${n} file${n === 1 ? '' : 's'}${what}`;
        const unchanged = report.unchanged.length > 0 ? ` (${count(report.unchanged.length, ' already there')})` : '';
        return `copied ${count(report.copied.length, '')}: ${shown(from)} -> ${shown(target) || '/'}${unchanged}`;
      });
      if (report.failed.length > 0) throw new TransferFailures(report.failed);
    });

  program
    .command('versions')
    .description('versions of a file, newest first (* is current)')
    .argument('<path>')
    .addHelpText('after', examples(['dfs versions docs/a.txt', 'every version with its size and time'], ['dfs versions --json docs/a.txt', 'the same as JSON (version ids for restore)']))
    .action(async (path: string) => {
      const versions = await (await client()).versions(remoteFileArg(path));
      print(out(), versions, () => versions.map(versionLine).join('\n'));
    });

  program
    .command('restore')
    .description('make an old version current again')
    .argument('<path>')
    .argument('<version>')
    .addHelpText('after', examples(['dfs restore docs/a.txt 01j...', 'make that version current (as a new version)']))
    .action(async (path: string, version: string) => {
      const file = await (await client()).restore(remoteFileArg(path), version);
      confirm(out(), file, () => `restored ${shown(path)} to ${version} (new version ${file.version})`);
    });

  program
    .command('share')
    .description('a public link to a file')
    .argument('<path>')
    .option('-e, --expires <duration>', 'lifetime: seconds or 30m, 12h, 7d, at most 365d', lifetime(365))
    .addHelpText('after', examples(['dfs share docs/a.txt', 'a link with the server\'s default lifetime'], ['dfs share docs/a.txt --expires 7d', 'a link that works for a week'], ['curl -O "$(dfs share docs/a.txt)"', 'the link alone is on stdout (its expiry on stderr)']))
    .action(async (path: string, o: { expires?: number }) => {
      const share = await (await client()).share(remoteFileArg(path), o.expires);
      print(out(), share, () => share.url);
      notice(out(), `the link expires ${share.expiresAt}`);
    });

  program
    .command('shares')
    .description('the public links still valid: of a file, or of everything in a folder')
    .argument('[path]', 'a file or a folder (everything when left out)', '')
    .addHelpText('after', examples(['dfs shares', 'every link this token may end'], ['dfs shares docs/a.txt', 'the links to one file'], ['dfs shares --json docs', 'the links under docs/, as JSON (ids for unshare)']))
    .action(async (arg: string) => {
      const path = remotePath(arg).replace(/\/+$/, '');
      // The API matches a plain prefix: "docs/a" would also find "docs/ab.txt".
      const shares = (await (await client()).listShares(path)).filter((s) => !path || s.path === path || s.path.startsWith(`${path}/`));
      print(out(), shares, () => shares.map(shareLine).join('\n'));
    });

  program
    .command('unshare')
    .description('end public links before they expire')
    .argument('<link...>', 'the links (or their ids) dfs share or dfs shares printed')
    .addHelpText('after', examples(['dfs unshare http://files.example.com/s/pre6dackq0p2z6cdm6c561t0sm', 'the link answers 404 from now on']))
    .action(async (links: string[]) => {
      const api = await client();
      const revoked: string[] = [];
      const failed: Error[] = [];
      for (const link of links) {
        const id = link.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').at(-1)!;
        try {
          await api.revokeShare(id);
          revoked.push(id);
        } catch (error) {
          failed.push(new FileError(link, error));
        }
      }
      confirm(out(), { revoked }, () => revoked.map((id) => `revoked ${shown(id)}`).join('\n'));
      if (failed.length > 0) throw new TransferFailures(failed);
    });

  const token = program
    .command('token')
    .description('manage access tokens (admin)')
    .addHelpText('after', examples(['dfs token create ci -s read write --prefix ci/ -e 30d', 'a token for one folder'], ['dfs token list', 'every token (never their secrets)'], ['dfs token revoke <id>', 'refuse it, and the tokens and share links it made, from now on']));
  token
    .command('create')
    .argument('<name>', 'what to tell it by (1 to 200 characters)', tokenName)
    .addOption(new Option('-s, --scope <scope...>', 'read, write, delete, admin').choices(['read', 'write', 'delete', 'admin']).makeOptionMandatory())
    .option('--prefix <folder>', 'limit the token to a folder')
    .option('-e, --expires <duration>', 'lifetime: seconds or 30m, 12h, 7d, at most 3650d', lifetime(3650))
    .addHelpText('after', examples(['dfs token create ci -s read write --prefix ci/ -e 30d', 'read and write under ci/ for 30 days'], ['dfs token create ops -s admin', 'an admin token that does not expire']))
    .action(async (name: string, o: { scope: Scope[]; prefix?: string; expires?: number }) => {
      const created = await (await client()).createToken({ name, scopes: o.scope, prefix: o.prefix === undefined ? undefined : remoteArg(o.prefix), expiresIn: o.expires });
      print(out(), created, () => created.token);
      notice(out(), `the token is shown this once: keep it now (id ${created.id})`);
    });
  token
    .command('list')
    .description('every token: id, name, scopes, folder, expiry')
    .addHelpText('after', examples(['dfs token list', 'one line per token'], ['dfs --json token list', 'as JSON']))
    .action(async () => {
      const tokens = await (await client()).listTokens();
      print(out(), tokens, () => tokens.map(tokenLine).join('\n'));
    });
  token
    .command('revoke')
    .description('refuse a token from now on, with the tokens it created (and theirs, down the line) and every share link any of them made')
    .argument('<id>')
    .addHelpText('after', examples(['dfs token revoke 01j...', 'the id from dfs token list; its tokens and share links end with it']))
    .action(async (id: string) => {
      if (id.trim() === '') throw new UsageError('name the id of the token to revoke (dfs token list shows them)');
      const api = await client();
      await api.revokeToken(id);
      // The API says nothing of what went with the token: the one in use may have.
      const inUse = await api.whoami().then(
        () => false,
        (error: unknown) => error instanceof ApiError && error.status === 401,
      );
      confirm(out(), { revoked: id, inUseRevoked: inUse }, () => `revoked ${shown(id)}, and the tokens it created (and theirs, down the line) and every share link any of them made`);
      if (inUse) notice(out(), 'the token dfs is using was among them: its requests are refused from now on (dfs login with another)');
    });

  program
    .command('serve')
    .description('start the dfs server (as npm start does; configured by environment variables)')
    .addHelpText('after', examples(['dfs serve', 'SQLite and a local S3 server in .dfs/'], ['S3_ENDPOINT=https://... S3_BUCKET=files S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=... dfs serve', 'your own bucket (every setting: the README, Configuration)']))
    .action(async () => {
      const { startServer, stopOnSignals } = await import('../runtime/node.ts');
      stopOnSignals(await startServer({ banner: true }));
      await new Promise(() => undefined);
    });

  program
    .command('menu')
    .description('the interactive menu (what plain `dfs` opens in a terminal)')
    .addHelpText('after', examples(['dfs', 'in a terminal: the menu'], ['dfs menu', 'the menu, also when stdin is not a terminal']))
    .action(async () => {
      const { runMenu } = await import('./menu.ts');
      await runMenu(globals());
    });

  return program;
}
