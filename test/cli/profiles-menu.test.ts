/**
 * Saved profiles and the menu, through the real `dfs` binary: logins run at once, empty
 * environment variables, endpoints that are not URLs, and the menu's answers and global options.
 */
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../support/api.ts';
import { startCli, type CliHarness } from '../support/cli.ts';

let cli: CliHarness;

beforeAll(async () => {
  cli = await startCli('profiles-menu');
});
afterAll(() => cli?.close());

/** The harness's environment with a config folder of its own and nothing else saying where or who. */
const withoutLogin = (name: string, extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { ...cli.env, XDG_CONFIG_HOME: join(cli.work, name), ...extra };
  for (const variable of ['DFS_ENDPOINT', 'DFS_TOKEN', 'DFS_PROFILE']) if (!(variable in extra)) delete env[variable];
  return env;
};
const configOf = (name: string) => join(cli.work, name, 'dfs', 'config.json');
const login = (env: Record<string, string>, ...args: string[]) => cli.dfs(['login', '--endpoint', cli.server.url, '--token', cli.server.adminToken, ...args], { env });

describe('saved profiles', () => {
  it('saves every profile of 8 logins run at once, in a file that is always valid JSON with mode 0600', async () => {
    const env = withoutLogin('parallel');
    const saved = configOf('parallel');
    const runs = Array.from({ length: 8 }, (_, i) => cli.start(['login', '--endpoint', cli.server.url, '--token', cli.server.adminToken, '--profile', `p${i}`], { env }).done);
    // What a command reading the file meanwhile would have met, at every moment it could.
    const seen: { text: string; mode: number }[] = [];
    let finished = false;
    const watched = (async () => {
      while (!finished) {
        const text = await readFile(saved, 'utf8').catch(() => undefined);
        const mode = await stat(saved).then((s) => s.mode & 0o777, () => undefined);
        if (text !== undefined && mode !== undefined) seen.push({ text, mode });
        await sleep(1);
      }
    })();
    const results = await Promise.all(runs);
    finished = true;
    await watched;
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    for (const { text, mode } of seen) {
      expect(() => JSON.parse(text), text).not.toThrow();
      expect(mode).toBe(0o600);
    }
    const config = JSON.parse(await readFile(saved, 'utf8'));
    expect(Object.keys(config.profiles).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    expect(Object.keys(config.profiles)).toContain(config.defaultProfile);
    expect((await stat(saved)).mode & 0o777).toBe(0o600);
    // Neither the lock nor a copy written aside is left behind.
    expect(await readdir(join(cli.work, 'parallel', 'dfs'))).toEqual(['config.json']);
  });

  it('waits for a login holding the lock, and takes over one a killed login left', async () => {
    const env = withoutLogin('locked');
    const saved = configOf('locked');
    const lock = `${saved}.lock`;
    await mkdir(join(cli.work, 'locked', 'dfs'), { recursive: true });
    await writeFile(lock, '1\n');
    const waiting = cli.start(['login', '--endpoint', cli.server.url, '--token', cli.server.adminToken, '--profile', 'waited'], { env }).done;
    await sleep(1_000);
    // Nothing is saved while another login holds the lock.
    await expect(stat(saved)).rejects.toThrow(/ENOENT/);
    await rm(lock);
    expect((await waiting).code).toBe(0);
    expect(Object.keys(JSON.parse(await readFile(saved, 'utf8')).profiles)).toEqual(['waited']);

    await writeFile(lock, '1\n');
    const aMinuteAgo = new Date(Date.now() - 60_000);
    await utimes(lock, aMinuteAgo, aMinuteAgo);
    const takenOver = await login(env, '--profile', 'after-kill');
    expect(takenOver.code, takenOver.stderr).toBe(0);
    expect(Object.keys(JSON.parse(await readFile(saved, 'utf8')).profiles).sort()).toEqual(['after-kill', 'waited']);
    expect(await readdir(join(cli.work, 'locked', 'dfs'))).toEqual(['config.json']);

    // Logins that all find one stale lock: one takes it over, none writes over another's profile.
    await writeFile(lock, '1\n');
    await utimes(lock, aMinuteAgo, aMinuteAgo);
    const racing = await Promise.all(Array.from({ length: 6 }, (_, i) => login(env, '--profile', `race${i}`)));
    for (const run of racing) expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(JSON.parse(await readFile(saved, 'utf8')).profiles).sort()).toEqual(['after-kill', 'race0', 'race1', 'race2', 'race3', 'race4', 'race5', 'waited']);
    expect(await readdir(join(cli.work, 'locked', 'dfs'))).toEqual(['config.json']);
  });

  it('reads an empty DFS_PROFILE, DFS_ENDPOINT, DFS_TOKEN or --profile as unset', async () => {
    const env = withoutLogin('empty-env');
    const saved = await login({ ...env, DFS_PROFILE: '' }, '--json');
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.json().profile).toBe('default');
    expect(Object.keys(JSON.parse(await readFile(configOf('empty-env'), 'utf8')).profiles)).toEqual(['default']);
    const empties: Record<string, string>[] = [{ DFS_TOKEN: '' }, { DFS_ENDPOINT: '' }, { DFS_ENDPOINT: '', DFS_TOKEN: '' }, { DFS_PROFILE: '' }];
    for (const empty of empties) {
      const whoami = await cli.dfs(['--json', 'whoami'], { env: { ...env, ...empty } });
      expect(whoami.code, `${JSON.stringify(empty)}: ${whoami.stderr}`).toBe(0);
      expect(whoami.json().scopes).toEqual(['admin']);
    }
    // So is an empty --profile: it names none, and the saved default is used.
    const emptyOption = await cli.dfs(['--profile', '', '--json', 'whoami'], { env });
    expect(emptyOption.code, emptyOption.stderr).toBe(0);
    expect(emptyOption.json().scopes).toEqual(['admin']);
    // A variable that is set still overrides the saved profile next to an empty one.
    const reader = (await cli.dfs(['--json', 'token', 'create', 'empty-env-reader', '--scope', 'read'])).json();
    const overridden = await cli.dfs(['--json', 'whoami'], { env: { ...env, DFS_ENDPOINT: '', DFS_TOKEN: reader.token } });
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.json().name).toBe('empty-env-reader');
  });

  it('takes any name for a profile, "__proto__" too, and names a saved profile that is not one', async () => {
    const env = withoutLogin('odd-names');
    for (const name of ['__proto__', 'constructor']) {
      expect((await login(env, '--profile', name)).code).toBe(0);
      const whoami = await cli.dfs(['--profile', name, '--json', 'whoami'], { env });
      expect(whoami.code, `${name}: ${whoami.stderr}`).toBe(0);
    }
    expect(Object.keys(JSON.parse(await readFile(configOf('odd-names'), 'utf8')).profiles)).toEqual(['__proto__', 'constructor']);
    // A profile never saved is none, whatever every object holds.
    expect((await cli.dfs(['--profile', 'toString', 'whoami'], { env })).stderr).toBe('dfs: not logged in with profile "toString": run "dfs login" or set DFS_ENDPOINT and DFS_TOKEN\n');

    await writeFile(configOf('odd-names'), JSON.stringify({ defaultProfile: 'broken', profiles: { broken: { endpoint: 5, token: 'x' } } }));
    const broken = await cli.dfs(['whoami'], { env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(`dfs: ${configOf('odd-names')}: profile "broken" is not an endpoint and a token: fix it, or log in again\n`);
  });

  it('refuses an endpoint that is not an http(s) URL as a usage error, in one line, saving nothing', async () => {
    const env = withoutLogin('not-a-url');
    for (const endpoint of ['127.0.0.1:18911', 'localhost:18911', 'ftp://127.0.0.1/']) {
      const result = await cli.dfs(['login', '--endpoint', endpoint, '--token', 'x'], { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`dfs: --endpoint must be an http:// or https:// URL, e.g. http://127.0.0.1:8787, not "${endpoint}"\n`);
    }
    await expect(stat(configOf('not-a-url'))).rejects.toThrow(/ENOENT/);
  });
});

describe('the menu', () => {
  const menu = (lines: string[], args: string[] = [], env = cli.env) => cli.dfs([...args, 'menu'], { input: `${lines.join('\n')}\n`, env });

  it('lists the top level when the folder is left empty', async () => {
    await writeFile(join(cli.work, 'menu-top.txt'), 'top');
    expect((await cli.dfs(['put', 'menu-top.txt'])).code).toBe(0);
    const run = await menu(['3', '']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('nothing to do');
    expect(run.stdout).toMatch(/ menu-top\.txt$/m);
  });

  it('shares with the default expiry when that answer is left empty', async () => {
    await writeFile(join(cli.work, 'menu-share.txt'), 'share');
    expect((await cli.dfs(['put', 'menu-share.txt'])).code).toBe(0);
    const run = await menu(['6', 'menu-share.txt', ''], ['--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('expires (e.g. 7d) (empty: default): ');
    expect(run.stdout).not.toContain('nothing to do');
    const shares = (await new Api(cli.server.url, cli.server.adminToken).get('/v1/shares?prefix=menu-share.txt')).body.shares;
    expect(shares).toHaveLength(1);
  });

  it('goes back to the menu on an empty answer a command needs, without asking the rest', async () => {
    const run = await menu(['1', '', '5', 'menu-from', '', '7']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/nothing to do/g)).toHaveLength(2);
    expect(run.stdout).not.toContain('remote folder or path');
  });

  it('runs its commands with the --quiet, --json and --profile given to dfs', async () => {
    await writeFile(join(cli.work, 'a.txt'), 'quiet');
    const quiet = await menu(['1', './a.txt', 'menut/'], ['-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).not.toContain('uploaded');
    expect((await new Api(cli.server.url, cli.server.adminToken).get('/v1/files/menut/a.txt')).status).toBe(200);

    const json = await menu(['3', 'menut/'], ['--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toContain('"path": "menut/a.txt"');

    // The default profile cannot be reached: only --profile makes the listing work.
    await mkdir(join(cli.work, 'menu-profiles', 'dfs'), { recursive: true });
    const profiles = {
      defaultProfile: 'unreachable',
      profiles: { unreachable: { endpoint: 'http://127.0.0.1:1', token: 'x' }, menu: { endpoint: cli.server.url, token: cli.server.adminToken } },
    };
    await writeFile(configOf('menu-profiles'), JSON.stringify(profiles), { mode: 0o600 });
    const env = withoutLogin('menu-profiles');
    expect((await menu(['3', 'menut/'], [], env)).stdout).toContain('error: cannot reach http://127.0.0.1:1');
    const named = await menu(['3', 'menut/'], ['--profile', 'menu'], env);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toMatch(/ menut\/a\.txt$/m);
  });
});
