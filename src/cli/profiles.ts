/**
 * Where the CLI finds its server and token: ~/.config/dfs/config.json (mode 0600), with named
 * profiles; DFS_ENDPOINT and DFS_TOKEN override whatever the file says.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Profile {
  endpoint: string;
  token: string;
}

interface ConfigFile {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

// An empty XDG_* variable counts as unset, as the XDG spec says (and bin/dfs.js and the resume state read it).
export const configPath = () => join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'dfs', 'config.json');

/** No file is no profile yet; a file that cannot be read is an error, or saving would drop its profiles. */
async function readConfig(): Promise<ConfigFile> {
  const path = configPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}): fix it, or remove it and log in again`, { cause: error });
  }
  const config = parsed as Partial<ConfigFile> | null;
  if (typeof config !== 'object' || config === null || Array.isArray(config) || (config.profiles !== undefined && typeof config.profiles !== 'object')) {
    throw new Error(`${path} does not hold dfs profiles: fix it, or remove it and log in again`);
  }
  return { ...config, profiles: config.profiles ?? {} };
}

/** Saves `profile` as `name`, the default from now on when `makeDefault`, else only when there is none yet. */
export async function saveProfile(name: string, profile: Profile, makeDefault: boolean): Promise<string> {
  const config = await readConfig();
  config.profiles[name] = profile;
  if (makeDefault) config.defaultProfile = name;
  else config.defaultProfile ??= name;
  const path = configPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

export class NotLoggedIn extends Error {}

export async function loadProfile(name: string | undefined): Promise<Profile> {
  // The environment names both: the file is not needed, whatever state it is in.
  if (process.env.DFS_ENDPOINT && process.env.DFS_TOKEN) return { endpoint: process.env.DFS_ENDPOINT, token: process.env.DFS_TOKEN };
  const config = await readConfig();
  const chosen = name ?? process.env.DFS_PROFILE ?? config.defaultProfile ?? 'default';
  const saved = config.profiles[chosen];
  const endpoint = process.env.DFS_ENDPOINT ?? saved?.endpoint;
  const token = process.env.DFS_TOKEN ?? saved?.token;
  if (!endpoint || !token) {
    throw new NotLoggedIn(`not logged in${name ? ` with profile "${name}"` : ''}: run "dfs login" or set DFS_ENDPOINT and DFS_TOKEN`);
  }
  return { endpoint, token };
}
