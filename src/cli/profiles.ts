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

export const configPath = () => join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'dfs', 'config.json');

async function readConfig(): Promise<ConfigFile> {
  try {
    return JSON.parse(await readFile(configPath(), 'utf8')) as ConfigFile;
  } catch {
    return { profiles: {} };
  }
}

export async function saveProfile(name: string, profile: Profile): Promise<string> {
  const config = await readConfig();
  config.profiles[name] = profile;
  config.defaultProfile ??= name;
  const path = configPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

export class NotLoggedIn extends Error {}

export async function loadProfile(name: string | undefined): Promise<Profile> {
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
