/**
 * The real `dfs` binary reading what a demanding user hands it: a folder it may not read, a
 * file rewritten between being listed and being read, a pipe or a FIFO named like a file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, randomBytes } from '../support/api.ts';
import { DFS_BIN, startApiProxy, startCli, type CliHarness } from '../support/cli.ts';

let cli: CliHarness;

beforeAll(async () => {
  cli = await startCli('sources');
});
afterAll(() => cli?.close());

const local = (...parts: string[]) => join(cli.work, ...parts);

/**
 * Runs dfs without the right to read what its mode forbids: as root (which reads everything),
 * through setpriv (util-linux) without the capabilities that override file modes.
 */
function runUnprivileged(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, prefix] = process.getuid?.() === 0 ? ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath]] : [process.execPath, []];
  const child = spawn(command, [...prefix, DFS_BIN, ...args], { cwd: cli.work, env: cli.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('put -r of "."', () => {
  it('sends the content of the folder, not the folder by its name, as cp -r and rsync do', async () => {
    await mkdir(local('dot', 'sub'), { recursive: true });
    await writeFile(local('dot', 'a.txt'), 'a');
    await writeFile(local('dot', 'sub', 'b.txt'), 'b');
    for (const [args, cwd] of [[['put', '-r', '.', 'dotted/'], 'dot'], [['put', '-r', 'dot/.', 'dotted2/'], '.']] as const) {
      const run = await cli.dfs(['--json', ...args], { cwd });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).map((f: { path: string }) => f.path).sort()).toEqual([`${args[3].slice(0, -1)}/a.txt`, `${args[3].slice(0, -1)}/sub/b.txt`]);
    }
  });
});

describe('put -r of a folder holding one it may not read', () => {
  it('sends the other files and names the folder with its reason', async () => {
    await mkdir(local('guarded', 'open'), { recursive: true });
    await mkdir(local('guarded', 'locked'));
    await writeFile(local('guarded', 'open', 'a.txt'), 'a');
    await writeFile(local('guarded', 'locked', 'b.txt'), 'b');
    await writeFile(local('guarded', 'top.txt'), 'top');
    await chmod(local('guarded', 'locked'), 0o000);
    try {
      const put = await runUnprivileged(['--json', 'put', '-r', 'guarded', 'guarded/']);
      expect(put.code).toBe(1);
      expect(put.stderr.trim()).toBe(`dfs: ${join('guarded', 'locked')}: cannot read the folder: permission denied`);
      expect(JSON.parse(put.stdout).map((f: { path: string }) => f.path)).toEqual(['guarded/guarded/open/a.txt', 'guarded/guarded/top.txt']);
    } finally {
      await chmod(local('guarded', 'locked'), 0o755);
    }
  });
});

describe('put -r of a tree deeper than any path the server takes', () => {
  it('sends the rest and names the folder where no path fits any more, however deep the tree goes', async () => {
    // 1,500 folders: a walk that went all the way down overflowed the stack and sent nothing.
    const deep = local('deep', ...Array.from({ length: 1500 }, () => 'd'));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'f.txt'), 'deep');
    await writeFile(local('deep', 'top.txt'), 'top');
    const put = await cli.dfs(['--json', 'put', '-r', 'deep', 'deep/']);
    expect(put.code).toBe(1);
    expect(JSON.parse(put.stdout).map((f: { path: string }) => f.path)).toEqual(['deep/deep/top.txt']);
    const cut = join('deep', ...Array.from({ length: 513 }, () => 'd'));
    expect(put.stderr).toBe(`dfs: ${cut}: deeper than any path the server takes (1024 bytes): nothing under it is sent\n`);
  });
});

describe('a file rewritten with another size after it was listed', () => {
  it('is refused, never stored cut to the size it was listed with', async () => {
    await writeFile(local('rewritten.bin'), randomBytes(1024 * 1024, 31));
    let rewritten = false;
    // The first listing (is anything stored there yet?) comes after the walk, before the file is read.
    const spy = await startApiProxy(cli.server.url, async (path) => {
      if (!rewritten && path.startsWith('/v1/files?')) {
        rewritten = true;
        await writeFile(local('rewritten.bin'), randomBytes(1536 * 1024, 32));
      }
    });
    try {
      const put = await cli.dfs(['put', 'rewritten.bin', 'rewritten/'], { env: { ...cli.env, DFS_ENDPOINT: spy.url } });
      expect(rewritten).toBe(true);
      expect(put.code).toBe(1);
      expect(put.stderr.trim()).toBe('dfs: rewritten.bin: changed while being uploaded: run the command again to send it as it is now');
    } finally {
      await spy.close();
    }
    expect((await new Api(cli.server.url, cli.server.adminToken).get('/v1/files/rewritten/rewritten.bin')).status).toBe(404);
  });
});

describe('a pipe named like a file', () => {
  it('is read as standard input is, to a named remote file; among other files it fails alone, at once', async () => {
    execFileSync('mkfifo', [local('dump.fifo')]);
    const put = cli.start(['put', 'dump.fifo', 'piped/dump.sql']);
    // The writer comes once dfs waits: a FIFO's open blocks for a reader.
    await writeFile(local('dump.fifo'), 'CREATE TABLE t (id int);\n');
    const sent = await put.done;
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout.trim()).toBe('uploaded piped/dump.sql');
    expect((await cli.dfs(['get', 'piped/dump.sql', '-'])).stdout).toBe('CREATE TABLE t (id int);\n');

    await writeFile(local('plain.txt'), 'plain');
    const mixed = await cli.dfs(['put', 'dump.fifo', 'plain.txt', 'piped/']);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout.trim()).toBe('uploaded piped/plain.txt');
    expect(mixed.stderr.trim()).toBe('dfs: dump.fifo: is a pipe or a device: send it alone, to a named remote file');

    const intoFolder = await cli.dfs(['put', 'dump.fifo', 'piped/']);
    expect(intoFolder.code).toBe(2);
    expect(intoFolder.stderr).toContain('dump.fifo is a pipe or a device, read as a stream: it goes alone, to a named remote file');
  });

  it('fails alone inside a folder, said in a line, not left out in silence', async () => {
    await mkdir(local('with-fifo', 'sub'), { recursive: true });
    execFileSync('mkfifo', [local('with-fifo', 'sub', 'queue')]);
    await writeFile(local('with-fifo', 'sub', 'data.txt'), 'data');
    await writeFile(local('with-fifo', 'sub-x.txt'), 'x');
    const put = await cli.dfs(['put', '-r', 'with-fifo', 'fifo-tree/']);
    expect(put.code).toBe(1);
    expect(put.stderr.trim()).toBe(`dfs: ${join('with-fifo', 'sub', 'queue')}: is a pipe or a device: send it alone, to a named remote file`);
    // In the order ls and get list paths: "sub-x.txt" before "sub/...".
    expect(put.stdout.trim().split('\n')).toEqual(['uploaded fifo-tree/with-fifo/sub-x.txt', 'uploaded fifo-tree/with-fifo/sub/data.txt']);
  });

  it('names standard input, not the copy it is sent from, when it fails', async () => {
    const put = await cli.dfs(['put', '-', 'piped/bad\u0001name.txt'], { input: 'x' });
    expect(put.code).toBe(1);
    expect(put.stderr.trim()).toBe('dfs: standard input: path must not contain control characters');
  });
});

describe('names that are not UTF-8', () => {
  it('are named as such, and the rest of the tree goes', async () => {
    // Made from bytes: "bad\xff" and "dir\xfe" decode to no name a path may hold.
    const root = Buffer.from(local('latin1'));
    const name = (...parts: Buffer[]) => Buffer.concat([root, ...parts.flatMap((part) => [Buffer.from('/'), part])]);
    await mkdir(name(Buffer.from([0x64, 0x69, 0x72, 0xfe])), { recursive: true });
    await writeFile(name(Buffer.from([0x62, 0x61, 0x64, 0xff])), 'bad');
    await writeFile(name(Buffer.from([0x64, 0x69, 0x72, 0xfe]), Buffer.from('x.txt')), 'x');
    await writeFile(name(Buffer.from('ok.txt')), 'ok');
    const result = await cli.dfs(['put', '-r', 'latin1', 'latin1-up/']);
    expect(result.code).toBe(1);
    const reason = 'its name is not valid UTF-8, which no stored path can be: rename it to send it';
    expect(result.stderr.split('\n').filter(Boolean).sort()).toEqual([`dfs: latin1/bad\uFFFD: ${reason}`, `dfs: latin1/dir\uFFFD: ${reason}`]);
    expect(result.stdout).toBe('uploaded latin1-up/latin1/ok.txt\n');
    expect((await new Api(cli.server.url, cli.server.adminToken).get('/v1/files?prefix=latin1-up/&limit=10')).body.files.map((f: { path: string }) => f.path)).toEqual(['latin1-up/latin1/ok.txt']);
  });
});
