/**
 * What `dfs get` does with what is at, or in the name of, its local destination: a link is
 * followed and a FIFO written into, a name of any length comes down, a trailing "/" makes a
 * folder, two remotes never share a local file (nor one another's side file), an excluded
 * folder keeps out everything under it, a lost .dfs-part starts over, and a failure nothing can
 * resume leaves no side files. And what it asks the API: a folder a token is limited to comes
 * down, and a failing request is tried again.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, randomBytes, sameBytes, sha256Hex, uploadBytes } from '../support/api.ts';
import { startApiProxy, startCli, type CliHarness } from '../support/cli.ts';
import type { TestServer } from '../support/server.ts';

const MiB = 1024 * 1024;
let cli: CliHarness;
let server: TestServer;
let work: string;

beforeAll(async () => {
  cli = await startCli('get');
  ({ server, work } = cli);
});
afterAll(() => cli?.close());

/** The binary run in `cwd` (a folder under the test's own); `done` resolves once it exits. */
const start = (args: string[], cwd?: string) => cli.start(args, { cwd });
const dfs = (args: string[], cwd?: string) => start(args, cwd).done;
const local = (...parts: string[]) => join(work, ...parts);

/** Writes each file under the test's folder and puts the lot under `remote` with the CLI itself. */
async function putTree(folder: string, files: Record<string, string | Uint8Array>, remote: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(local(folder, path), '..'), { recursive: true });
    await writeFile(local(folder, path), content);
  }
  const put = await dfs(['put', '-r', folder, remote]);
  expect(put.code, put.stderr).toBe(0);
}

/** A reader of a FIFO that is not dfs: cat, whose open waits for a writer (for ever, if the FIFO was replaced). */
function readFifo(folder: string) {
  const reader = spawn('cat', ['fifo'], { cwd: local(folder), stdio: ['ignore', 'pipe', 'ignore'] });
  const read: Buffer[] = [];
  reader.stdout.on('data', (chunk: Buffer) => read.push(chunk));
  const bytes = new Promise<Uint8Array<ArrayBuffer>>((resolve) => reader.once('close', () => resolve(new Uint8Array(Buffer.concat(read)))));
  return { bytes, stop: () => reader.kill() };
}

/** Every .dfs-part file or state under a folder, at any depth. */
async function sideFiles(folder: string): Promise<string[]> {
  return (await readdir(local(folder), { recursive: true })).filter((name) => name.includes('.dfs-part'));
}

describe('get onto what is already at the destination', () => {
  it('writes into a FIFO in order and through a symbolic link to its file, leaving both nodes as they were', async () => {
    const files = { 'small.txt': 'fresh content\n', 'mid.bin': randomBytes(300 * 1024, 7), 'big.bin': randomBytes(17 * MiB + 5, 8) };
    await putTree('nodes-src', files, 'nodes/');
    await mkdir(local('nodes', 'real'), { recursive: true });
    execFileSync('mkfifo', [local('nodes', 'fifo')]);
    const isFifo = async () => (await lstat(local('nodes', 'fifo'))).isFIFO();
    for (const [name, content] of Object.entries(files)) {
      // The reader comes first, or (for the big file) once dfs waits for one, as cp would.
      const readerFirst = name !== 'big.bin';
      let reader = readerFirst ? readFifo('nodes') : null;
      try {
        const getting = start(['get', `nodes/nodes-src/${name}`, 'fifo'], 'nodes');
        if (!readerFirst) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(await isFifo(), name).toBe(true);
          reader = readFifo('nodes');
        }
        const get = await getting.done;
        expect(get.code, get.stderr).toBe(0);
        expect(await isFifo(), name).toBe(true);
        expect(await sameBytes(await reader!.bytes, new Uint8Array(Buffer.from(content))), name).toBe('same');
      } finally {
        reader?.stop();
      }

      await writeFile(local('nodes', 'real', name), 'old');
      await symlink(join('real', name), local('nodes', `link-${name}`));
      const get = await dfs(['get', `nodes/nodes-src/${name}`, `link-${name}`], 'nodes');
      expect(get.code, get.stderr).toBe(0);
      expect(await readlink(local('nodes', `link-${name}`))).toBe(join('real', name));
      expect(await sameBytes(new Uint8Array(await readFile(local('nodes', 'real', name))), new Uint8Array(Buffer.from(content))), name).toBe('same');
    }
    // Waiting for a reader that never comes, Ctrl-C still ends it, and the FIFO stays.
    // Once it asks for the link, its Ctrl-C handler is set and the FIFO's open comes next.
    let asked: () => void = () => undefined;
    const linkAsked = new Promise<void>((resolve) => (asked = resolve));
    const spy = await startApiProxy(server.url, (path) => {
      if (path.startsWith('/v1/batch/downloads')) asked();
    });
    try {
      const waiting = cli.start(['get', 'nodes/nodes-src/small.txt', 'fifo'], { cwd: 'nodes', env: { ...cli.env, DFS_ENDPOINT: spy.url } });
      await linkAsked;
      await new Promise((resolve) => setTimeout(resolve, 200));
      waiting.child.kill('SIGINT');
      expect((await waiting.done).code).toBe(130);
    } finally {
      await spy.close();
    }
    expect(await isFifo()).toBe(true);
    expect(await sideFiles('nodes')).toEqual([]);
    // A device is written into, never replaced (as root a rename would replace /dev/null itself).
    const intoDevice = await dfs(['get', 'nodes/nodes-src/small.txt', '/dev/null'], 'nodes');
    expect(intoDevice.code, intoDevice.stderr).toBe(0);
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
    // A side file would stand beside the device.
    expect((await readdir('/dev')).filter((name) => name.includes('.dfs-part'))).toEqual([]);
  });
});

describe('names up to 255 bytes', () => {
  // 255 and 244 bytes in UTF-8, fewer characters: a length in characters would not see the limit.
  const name255 = `${'é'.repeat(100)}${'a'.repeat(51)}.bin`;
  const name244 = `${'é'.repeat(100)}${'b'.repeat(40)}.bin`;
  const name250 = `${'é'.repeat(100)}${'c'.repeat(46)}.bin`;

  it('downloads files the CLI uploaded under the longest names, small and in ranges', async () => {
    expect([name255, name244].map((name) => Buffer.byteLength(name))).toEqual([255, 244]);
    const files = { [name255]: 'longest', [name244]: randomBytes(300 * 1024, 9) };
    await putTree('long', files, 'long-r/');
    const get = await dfs(['get', '-r', 'long-r/long', 'long-back']);
    expect(get.code, get.stderr).toBe(0);
    for (const [name, content] of Object.entries(files)) {
      expect(await sameBytes(new Uint8Array(await readFile(local('long-back', 'long', name))), new Uint8Array(Buffer.from(content))), name).toBe('same');
    }
    expect(await sideFiles('long-back')).toEqual([]);
  });

  it('continues an interrupted download under such a name from its side files', async () => {
    const bytes = randomBytes(48 * MiB, 10);
    await putTree('long-big', { [name250]: bytes }, 'long-big-r/');
    await mkdir(local('long-resume'));
    const interrupted = start(['get', `long-big-r/long-big/${name250}`, '.', '--parts', '1'], 'long-resume');
    const saved = async () => (await readdir(local('long-resume'))).some((name) => name.endsWith('.dfs-part.json'));
    await expect.poll(saved, { interval: 5, timeout: 10_000 }).toBe(true);
    interrupted.child.kill('SIGINT');
    expect((await interrupted.done).code).toBe(130);

    const rerun = await dfs(['--json', 'get', `long-big-r/long-big/${name250}`, '.'], 'long-resume');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()[0].ranges.resumed).toBeGreaterThan(0);
    expect(await sameBytes(new Uint8Array(await readFile(local('long-resume', name250))), bytes)).toBe('same');
    expect(await sideFiles('long-resume')).toEqual([]);
  });
});

describe('the destination named', () => {
  it('reads a trailing "/" as a folder, made if missing, for a single file too', async () => {
    await putTree('slash', { 'one.txt': 'one' }, 'slash-r/');
    await mkdir(local('slash-in'));
    const get = await dfs(['get', 'slash-r/slash/one.txt', 'newdir/'], 'slash-in');
    expect(get.code, get.stderr).toBe(0);
    expect(await readFile(local('slash-in', 'newdir', 'one.txt'), 'utf8')).toBe('one');
    expect(await readdir(local('slash-in'))).toEqual(['newdir']);
  });

  it('refuses in one line a file as the folder to download a folder or many files into, and leaves it be', async () => {
    await putTree('into-file', { 'a.txt': 'a', 'b.txt': 'b', 'deep/c.txt': 'c' }, 'into-file-r/');
    await mkdir(local('into-file-in'));
    await writeFile(local('into-file-in', 'taken'), 'mine');
    for (const args of [['-r', 'into-file-r/into-file', 'taken'], ['into-file-r/into-file/a.txt', 'into-file-r/into-file/b.txt', 'taken'], ['into-file-r/into-file/a.txt', 'taken/']]) {
      const get = await dfs(['get', ...args], 'into-file-in');
      expect(get.code, args.join(' ')).toBe(2);
      expect(get.stderr).toMatch(/^dfs: taken\/? is not a folder: [^\n]*\n$/);
    }
    expect(await readFile(local('into-file-in', 'taken'), 'utf8')).toBe('mine');
    expect(await readdir(local('into-file-in'))).toEqual(['taken']);
    // One file named as the file itself replaces it, as before.
    expect((await dfs(['get', 'into-file-r/into-file/a.txt', 'taken'], 'into-file-in')).code).toBe(0);
    expect(await readFile(local('into-file-in', 'taken'), 'utf8')).toBe('a');
  });

  it('refuses in one line a file where a folder of the download must come, and leaves it be', async () => {
    await putTree('t1', { 'a.txt': 'a', 'b.txt': 'b', 'deep/c.txt': 'c' }, 'in-way-r/');
    await mkdir(local('in-way', 'up', 't1'), { recursive: true });
    await writeFile(local('in-way', 't1'), 'mine');
    await writeFile(local('in-way', 'up', 't1', 'deep'), 'mine too');
    const cases: [string[], string][] = [
      [['-r', 'in-way-r/t1', '.'], 't1'],
      [['-r', 'in-way-r/t1', 'up'], join('up', 't1', 'deep')],
      [['in-way-r/t1/a.txt', join('t1', 'a.txt')], 't1'],
    ];
    for (const [args, file] of cases) {
      const get = await dfs(['get', ...args], 'in-way');
      expect(get.code, args.join(' ')).toBe(2);
      expect(get.stderr).toBe(`dfs: ${file} is a file, not a folder: move it away, or download into another folder\n`);
    }
    expect(await readFile(local('in-way', 't1'), 'utf8')).toBe('mine');
    expect(await readFile(local('in-way', 'up', 't1', 'deep'), 'utf8')).toBe('mine too');
    expect((await readdir(local('in-way'), { recursive: true })).sort()).toEqual(['t1', 'up', join('up', 't1'), join('up', 't1', 'deep')].sort());

    // A link to nothing where the folder must be made is said the same way, once.
    await mkdir(local('in-way-link'));
    await symlink('nowhere', local('in-way-link', 't1'));
    const linked = await dfs(['get', '-r', 'in-way-r/t1', '.'], 'in-way-link');
    expect(linked.code).toBe(2);
    expect(linked.stderr).toBe('dfs: t1 is a broken symbolic link, not a folder: move it away, or download into another folder\n');
    expect(await readdir(local('in-way-link'))).toEqual(['t1']);
  });

  it('never writes through a link left where a folder of the download goes, and follows the destination named', async () => {
    await putTree('t2', { 'a.txt': 'a', 'deep/c.txt': 'c' }, 'via-link-r/');
    await mkdir(local('victim'));
    await mkdir(local('via-link', 't2'), { recursive: true });
    await symlink(local('victim'), local('via-link', 't2', 'deep'));
    const get = await dfs(['get', '-r', 'via-link-r/t2', '.'], 'via-link');
    expect(get.code).toBe(2);
    expect(get.stderr).toBe(`dfs: ${join('t2', 'deep')} is a symbolic link where a folder of the download must be made (cp -r refuses one too): move it away, or download into another folder\n`);
    expect(await readdir(local('victim'))).toEqual([]);
    expect(await readdir(local('via-link', 't2'))).toEqual(['deep']);

    // A folder named "..y" is below the destination as any other; so is a file's place in the tree.
    await putTree('..y', { 'evil.txt': 'evil' }, 'via-link-r/');
    await symlink(local('victim'), local('via-link', '..y'));
    const dotted = await dfs(['get', '-r', 'via-link-r/..y', '.'], 'via-link');
    expect(dotted.code).toBe(2);
    expect(dotted.stderr).toContain('..y is a symbolic link where a folder of the download must be made');
    await rm(local('via-link', '..y'));
    await mkdir(local('via-link', 'files', 't2', 'deep'), { recursive: true });
    await writeFile(local('victim', 'precious.txt'), 'precious');
    await symlink(local('victim', 'precious.txt'), local('via-link', 'files', 't2', 'a.txt'));
    const fileLink = await dfs(['get', '-r', 'via-link-r/t2', 'files'], 'via-link');
    expect(fileLink.code).toBe(1);
    expect(fileLink.stderr).toBe(`dfs: via-link-r/t2/a.txt: ${join('files', 't2', 'a.txt')} is a symbolic link: a folder's download never writes through one (move it away)\n`);
    expect(await readFile(local('victim', 'precious.txt'), 'utf8')).toBe('precious');
    expect(await readFile(local('via-link', 'files', 't2', 'deep', 'c.txt'), 'utf8')).toBe('c');
    await rm(local('victim', 'precious.txt'));

    // The folder named on the command line may be a link: that is where the person sends it.
    await symlink(local('victim'), local('via-link', 'named'));
    expect((await dfs(['get', '-r', 'via-link-r/t2', 'named'], 'via-link')).code).toBe(0);
    expect(await readFile(local('victim', 't2', 'deep', 'c.txt'), 'utf8')).toBe('c');
  });

  it('keeps the mode and owner of a file it replaces, small or in ranges, as cp writing into it does', async () => {
    const api = new Api(server.url, server.adminToken);
    expect((await uploadBytes(api, 'modes/small.txt', new TextEncoder().encode('small'))).status).toBe(200);
    expect((await uploadBytes(api, 'modes/big.bin', randomBytes(MiB, 22))).status).toBe(200);
    await mkdir(local('modes'));
    for (const [name, mode] of [['small.txt', 0o600], ['big.bin', 0o755]] as const) {
      await writeFile(local('modes', name), 'old');
      await chmod(local('modes', name), mode);
      // Run as root (as CI is), the download replaces a file owned by someone else: it stays theirs.
      if (process.getuid?.() === 0) await chown(local('modes', name), 65534, 65534);
    }
    expect((await dfs(['get', '-r', 'modes', '.'])).code).toBe(0);
    for (const [name, mode] of [['small.txt', 0o600], ['big.bin', 0o755]] as const) {
      const after = await stat(local('modes', name));
      expect((after.mode & 0o777).toString(8), name).toBe(mode.toString(8));
      expect([after.uid, after.gid], name).toEqual(process.getuid?.() === 0 ? [65534, 65534] : [process.getuid?.(), process.getgid?.()]);
    }
    expect(await readFile(local('modes', 'small.txt'), 'utf8')).toBe('small');
  });

  it('never writes a download through a link left at its side file', async () => {
    const bytes = randomBytes(MiB, 21);
    expect((await uploadBytes(new Api(server.url, server.adminToken), 'side-link/big.bin', bytes)).status).toBe(200);
    await mkdir(local('side-link'));
    await writeFile(local('precious.txt'), 'precious');
    await symlink(local('precious.txt'), local('side-link', 'big.bin.dfs-part'));
    const get = await dfs(['get', 'side-link/big.bin', 'big.bin'], 'side-link');
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('big.bin.dfs-part');
    expect(get.stderr).toContain('symbolic link');
    expect(await readFile(local('precious.txt'), 'utf8')).toBe('precious');
    await rm(local('side-link', 'big.bin.dfs-part'));
    expect((await dfs(['get', 'side-link/big.bin', 'big.bin'], 'side-link')).code).toBe(0);
    expect(await sameBytes(new Uint8Array(await readFile(local('side-link', 'big.bin'))), bytes)).toBe('same');
  });

  it('writes nothing outside the destination whatever names a server lists, and still fetches the plain ones', async () => {
    await putTree('lying', { 'ok.txt': 'fine', 'deep/ok2.txt': 'fine too' }, 'lying-r/');
    const lies = ['lying-r/lying/../../../escaped.txt', 'elsewhere/outside.txt', 'lying-r/lying//abs.txt', 'lying-r/lying/./dot.txt'];
    const entry = (path: string) => ({ path, size: 4, contentType: 'text/plain', sha256: null, version: 'v', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' });
    const liar = await startApiProxy(
      server.url,
      () => undefined,
      (path, answer) => (path.startsWith('/v1/files?') && Array.isArray(answer.files) ? { ...answer, files: [...answer.files, ...lies.map(entry)] } : answer),
    );
    try {
      await mkdir(local('lying-in', 'dest'), { recursive: true });
      const get = await cli.dfs(['get', '-r', 'lying-r/lying', 'dest'], { cwd: 'lying-in', env: { ...cli.env, DFS_ENDPOINT: liar.url } });
      expect(get.code).toBe(1);
      for (const lie of lies) expect(get.stderr).toContain(lie);
      expect((await readdir(local('lying-in'), { recursive: true })).sort()).toEqual(
        ['dest', join('dest', 'lying'), join('dest', 'lying', 'deep'), join('dest', 'lying', 'ok.txt'), join('dest', 'lying', 'deep', 'ok2.txt')].sort(),
      );
      expect(await readdir(local(), { recursive: false })).not.toContain('escaped.txt');
    } finally {
      await liar.close();
    }
  });

  it('fails, before anything moves, each of two remotes that would write one local file; the others still come', async () => {
    await putTree('clash', { 'q1/s.txt': 'first', 'q2/s.txt': 'second', 'q1/other.txt': 'other' }, 'clash-r/');
    const get = await dfs(['--json', 'get', 'clash-r/clash/q1/s.txt', 'clash-r/clash/q2/s.txt', 'clash-r/clash/q1/other.txt', 'dd/']);
    expect(get.code).toBe(1);
    expect(get.json().map((f: { remote: string }) => f.remote)).toEqual(['clash-r/clash/q1/other.txt']);
    const lines = get.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [i, remote] of ['clash-r/clash/q1/s.txt', 'clash-r/clash/q2/s.txt'].entries()) {
      expect(lines[i]!.startsWith(`dfs: ${remote}: `), lines[i]).toBe(true);
      for (const named of ['clash-r/clash/q1/s.txt', 'clash-r/clash/q2/s.txt', join('dd', 's.txt')]) expect(lines[i]).toContain(named);
    }
    expect(await readdir(local('dd'))).toEqual(['other.txt']);
  });

  it('leaves out everything under an excluded folder, as put does', async () => {
    const tree = { 'a.txt': 'a', 'sub/f.txt': 'f', 'sub/deep/e.txt': 'e', 'sub/deep/more/g.txt': 'g' };
    await putTree('excl', tree, 'excl-r/');
    const cases: [string, string[]][] = [
      ['sub/deep', ['a.txt', 'sub/f.txt']],
      ['sub/*', ['a.txt']],
    ];
    for (const [i, [pattern, kept]] of cases.entries()) {
      const get = await dfs(['--json', 'get', '-r', 'excl-r/excl', `excl-back${i}`, '-x', pattern]);
      expect(get.code, get.stderr).toBe(0);
      expect(get.json().map((f: { remote: string }) => f.remote).sort(), pattern).toEqual(kept.map((path) => `excl-r/excl/${path}`));
      expect((await readdir(local(`excl-back${i}`, 'excl'), { recursive: true })).filter((path) => path.endsWith('.txt')).sort(), pattern).toEqual(kept);
    }
  });

  it('refuses an empty local destination in one line, writing nothing', async () => {
    await putTree('empty-dest', { 'x.txt': 'x' }, 'empty-dest-r/');
    await mkdir(local('empty-in'));
    const get = await dfs(['get', 'empty-dest-r/empty-dest/x.txt', ''], 'empty-in');
    expect(get.code).toBe(2);
    expect(get.stderr).toMatch(/^dfs: [^\n]*empty[^\n]*\n$/);
    expect(await readdir(local('empty-in'))).toEqual([]);
  });
});

describe('side files', () => {
  it("fails both files of a clash with another's side file, writing neither; the others still come", async () => {
    // A ranged download of "f" keeps f.dfs-part (and the names after it) beside it, and one of a
    // name too long for that suffix a hashed name: each remote named so would be lost, or lose it.
    const long = `${'é'.repeat(100)}${'d'.repeat(46)}.bin`;
    const hashed = `${createHash('sha256').update(long).digest('hex').slice(0, 32)}.dfs-part`;
    const tree = {
      f: randomBytes(300 * 1024, 20),
      'f.dfs-part': 'notes\n',
      g: randomBytes(300 * 1024, 21),
      'g.dfs-part.lock': 'not a lock',
      h: 'small',
      'h.dfs-part.4242': 'not a copy',
      k: 'k',
      'k.dfs-part.json/inside.txt': 'not a state',
      [long]: randomBytes(300 * 1024, 22),
      [hashed]: 'not a part file',
      'f.dfs-partial': 'kept',
      'other.txt': 'kept too',
    };
    await putTree('dp1', tree, 'dpt/');
    const get = await dfs(['--json', 'get', '-r', 'dpt/dp1', 'dp-out']);
    expect(get.code).toBe(1);
    expect(get.json().map((f: { remote: string }) => f.remote).sort()).toEqual(['dpt/dp1/f.dfs-partial', 'dpt/dp1/other.txt']);
    const lines = get.stderr.trim().split('\n');
    const pairs = [['f', 'f.dfs-part'], ['g', 'g.dfs-part.lock'], ['h', 'h.dfs-part.4242'], ['k', 'k.dfs-part.json/inside.txt'], [long, hashed]];
    expect(lines).toHaveLength(pairs.length * 2);
    for (const pair of pairs) {
      for (const [i, name] of pair.entries()) {
        const line = lines.find((l) => l.startsWith(`dfs: dpt/dp1/${name}: `));
        expect(line, name).toBeDefined();
        expect(line).toContain(`dpt/dp1/${pair[1 - i]}`);
        expect(line).toMatch(/get the two into different folders$/);
      }
    }
    expect((await readdir(local('dp-out', 'dp1'))).sort()).toEqual(['f.dfs-partial', 'other.txt']);

    // Two remotes named together clash the same way.
    const two = await dfs(['get', 'dpt/dp1/f', 'dpt/dp1/f.dfs-part', 'dp-two/']);
    expect(two.code).toBe(1);
    expect(two.stderr.trim().split('\n')).toEqual([
      `dfs: dpt/dp1/f.dfs-part: ${join('dp-two', 'f.dfs-part')} is a side file the download of dpt/dp1/f keeps beside ${join('dp-two', 'f')}: neither is downloaded; get the two into different folders`,
      `dfs: dpt/dp1/f: its download keeps a side file at ${join('dp-two', 'f.dfs-part')}, where dpt/dp1/f.dfs-part would be written: neither is downloaded; get the two into different folders`,
    ]);
    expect(await readdir(work)).not.toContain('dp-two');
  });

  it('starts over when the .dfs-part file is gone or cut short while its state remains', async () => {
    const bytes = randomBytes(17 * MiB + 1, 12);
    await putTree('lost', { 'file.bin': bytes }, 'lost-r/');
    const link = (await new Api(server.url, server.adminToken).post('/v1/downloads', { path: 'lost-r/lost/file.bin' })).body;
    const state = JSON.stringify({ version: link.version, size: bytes.length, rangeSize: 16 * MiB, done: [0] });
    for (const part of [null, Buffer.from(bytes.subarray(0, 1))]) {
      await rm(local('lost.bin'), { force: true });
      await writeFile(local('lost.bin.dfs-part.json'), state);
      if (part) await writeFile(local('lost.bin.dfs-part'), part);
      const get = await dfs(['get', 'lost-r/lost/file.bin', 'lost.bin']);
      expect(get.code, get.stderr).toBe(0);
      expect(await sameBytes(new Uint8Array(await readFile(local('lost.bin'))), bytes)).toBe('same');
      expect((await readdir(work)).filter((name) => name.startsWith('lost.bin.'))).toEqual([]);
    }
  });

  it('lets one download at a time into a side file: a second fails at once naming the first; a lock left by a dead process is taken over', async () => {
    const bytes = randomBytes(17 * MiB + 3, 14);
    await putTree('twice', { 'file.bin': bytes }, 'twice-r/');
    // A download running elsewhere, as its lock shows it: a live process's pid.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await writeFile(local('twice.bin.dfs-part.lock'), String(other.pid));
      const second = await dfs(['get', 'twice-r/twice/file.bin', 'twice.bin']);
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toBe(`dfs: twice-r/twice/file.bin: another dfs (pid ${other.pid}) is downloading to twice.bin: wait for it, or stop it`);
      expect((await readdir(work)).filter((name) => name.startsWith('twice.bin'))).toEqual(['twice.bin.dfs-part.lock']);
    } finally {
      other.kill();
      await new Promise((resolve) => other.once('exit', resolve));
    }
    const after = await dfs(['get', 'twice-r/twice/file.bin', 'twice.bin']);
    expect(after.code, after.stderr).toBe(0);
    expect(await sameBytes(new Uint8Array(await readFile(local('twice.bin'))), bytes)).toBe('same');
    expect((await readdir(work)).filter((name) => name.startsWith('twice.bin.'))).toEqual([]);
  });

  it('leaves none when a download fails in a way no rerun can continue (a folder in the way, an object of the wrong size)', async () => {
    await putTree('blocked', { 'one.txt': 'one', 'mid.bin': randomBytes(300 * 1024, 13), 'two.txt': 'two' }, 'blocked-r/');
    await mkdir(local('blocked-in', 'one.txt'), { recursive: true });
    await mkdir(local('blocked-in', 'mid.bin'), { recursive: true });
    const get = await dfs(['get', 'blocked-r/blocked/one.txt', 'blocked-r/blocked/mid.bin', 'blocked-r/blocked/two.txt', 'blocked-in']);
    expect(get.code).toBe(1);
    const lines = get.stderr.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^dfs: blocked-r\/blocked\/mid\.bin: .*mid\.bin.* folder/);
    expect(lines[1]).toMatch(/^dfs: blocked-r\/blocked\/one\.txt: .*one\.txt.* folder/);
    expect((await readdir(local('blocked-in'))).sort()).toEqual(['mid.bin', 'one.txt', 'two.txt']);
    expect(await readFile(local('blocked-in', 'two.txt'), 'utf8')).toBe('two');
    expect(await sideFiles('blocked-in')).toEqual([]);

    // Nor when the store holds other bytes than the index says, before any range was finished.
    const { objectKey } = (await server.ctx.index.getFile('blocked-r/blocked/mid.bin'))!;
    await server.ctx.store.deleteObjects([objectKey]);
    const overwrite = await server.ctx.store.presignPut(objectKey, { contentLength: 5, contentType: 'application/octet-stream', expiresInSeconds: 60 });
    expect((await fetch(overwrite.url, { method: 'PUT', headers: overwrite.headers, body: 'short' })).status).toBe(200);
    await mkdir(local('wrong-size'));
    const wrong = await dfs(['get', 'blocked-r/blocked/mid.bin', 'wrong-size/']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^dfs: blocked-r\/blocked\/mid\.bin: .*5 of 307200 bytes\n$/);
    expect(await readdir(local('wrong-size'))).toEqual([]);
  });
});

describe('what get asks the API', () => {
  it('downloads a folder with a token limited to it, named with or without a trailing "/"', async () => {
    await putTree('up1', { 't1/a.txt': 'a', 'b.txt': 'b' }, 'tok-r/');
    const token = (await dfs(['--json', 'token', 'create', 'ci', '--scope', 'read', 'write', '--prefix', 'tok-r/up1'])).json().token;
    const asToken = { ...cli.env, DFS_TOKEN: token };
    for (const [i, remote] of ['tok-r/up1', 'tok-r/up1/'].entries()) {
      const get = await cli.dfs(['get', '-r', remote, `tok-out${i}`], { env: asToken });
      expect(get.code, get.stderr).toBe(0);
      expect(await readFile(local(`tok-out${i}`, 'up1', 't1', 'a.txt'), 'utf8')).toBe('a');
      expect(await readFile(local(`tok-out${i}`, 'up1', 'b.txt'), 'utf8')).toBe('b');
    }
    // What the token may not list is refused by the listing itself, and nothing is written.
    const refused = await cli.dfs(['get', '-r', 'elsewhere', 'tok-refused'], { env: asToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('dfs: this token may only list paths under "tok-r/up1/"\n');
    expect(await readdir(work)).not.toContain('tok-refused');
  });

  it('tries again a request the API answers with a 503, and finishes', async () => {
    const big = randomBytes(17 * MiB + 1, 23);
    await putTree('flaky', { 'big.bin': big, 'small.txt': 'small' }, 'flaky-r/');
    // The first of each request planning and a big file's link make: the file, the listing, the link.
    const failing = ['/v1/files/', '/v1/files?', '/v1/downloads'];
    let listings = 0;
    let refuseListings = false;
    const unavailable = { status: 503, body: { error: { code: 'unavailable', message: 'the API is restarting' } } };
    const proxy = await startApiProxy(server.url, (path) => {
      if (path.startsWith('/v1/files?')) {
        listings++;
        if (refuseListings) return unavailable;
      }
      const kind = failing.findIndex((start) => path.startsWith(start));
      if (kind < 0) return;
      failing.splice(kind, 1);
      return unavailable;
    });
    const env = { ...cli.env, DFS_ENDPOINT: proxy.url };
    try {
      const get = await cli.dfs(['get', '-r', 'flaky-r/flaky', 'flaky-out'], { env });
      expect(get.code, get.stderr).toBe(0);
      expect(failing).toEqual([]);
      expect(get.stderr.match(/^dfs: flaky-r\/flaky: the API is restarting; trying again \(2 of 5\)$/gm)).toHaveLength(2);
      expect(get.stderr).toMatch(/^dfs: flaky-r\/flaky\/big\.bin: the API is restarting; trying again \(2 of 5\)$/m);
      expect(await sameBytes(new Uint8Array(await readFile(local('flaky-out', 'flaky', 'big.bin'))), big)).toBe('same');
      expect(await readFile(local('flaky-out', 'flaky', 'small.txt'), 'utf8')).toBe('small');

      // To standard output, the link is tried again too.
      failing.push('/v1/downloads');
      const out = await cli.dfs(['get', 'flaky-r/flaky/big.bin', '-'], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(failing).toEqual([]);
      expect(out.stderr).toMatch(/^dfs: flaky-r\/flaky\/big\.bin: the API is restarting; trying again \(2 of 5\)$/m);
      expect(await sameBytes(out.bytes, big)).toBe('same');

      // A file named with -r is found by its stat: the listing asked for with it is not tried again.
      refuseListings = true;
      listings = 0;
      const file = await cli.dfs(['get', '-r', 'flaky-r/flaky/small.txt', 'flaky-one.txt'], { env });
      expect(file.code, file.stderr).toBe(0);
      expect(listings).toBe(1);
      expect(await readFile(local('flaky-one.txt'), 'utf8')).toBe('small');
    } finally {
      await proxy.close();
    }
  });
});

describe('a file replaced while a folder comes down', () => {
  it('reports the version it wrote, not the one listed', async () => {
    const api = new Api(server.url, server.adminToken);
    expect((await uploadBytes(api, 'snap/file.txt', new TextEncoder().encode('AAA'))).status).toBe(200);
    // Another client's new version, sent to the store and committed the moment this get asks for links.
    const newer = new TextEncoder().encode('BBBB');
    const created = await api.post('/v1/uploads', { path: 'snap/file.txt', size: newer.length, sha256: await sha256Hex(newer) });
    await fetch(created.body.url, { method: 'PUT', headers: created.body.headers, body: newer });
    let committed = false;
    const proxy = await startApiProxy(server.url, async (path) => {
      if (!committed && path.startsWith('/v1/batch/downloads')) {
        committed = true;
        expect((await api.post(`/v1/uploads/${created.body.id}/complete`, {})).status).toBe(200);
      }
    });
    try {
      const get = await cli.dfs(['--json', 'get', '-r', 'snap', 'snap-out'], { env: { ...cli.env, DFS_ENDPOINT: proxy.url } });
      expect(get.code, get.stderr).toBe(0);
      expect(committed).toBe(true);
      expect(await readFile(local('snap-out', 'snap', 'file.txt'), 'utf8')).toBe('BBBB');
      expect(get.json()[0]).toMatchObject({ remote: 'snap/file.txt', size: 4, sha256: await sha256Hex(newer) });
    } finally {
      await proxy.close();
    }
  });
});
