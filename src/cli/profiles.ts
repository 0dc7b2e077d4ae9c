/**
 * Where the CLI finds its server and token: ~/.config/dfs/config.json (mode 0600), with named
 * profiles; DFS_ENDPOINT and DFS_TOKEN override whatever the file says.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { replaceFile } from './replace-file.ts';
import { acquirePidLock } from '../runtime/pid-lock.ts';
import { UsageError } from './transfer.ts';

export interface Profile {
  endpoint: string;
  token: string;
}

interface ConfigFile {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

/**
 * A lock older than this was left by a killed process, even if its pid runs again as another
 * program's: a save holds it for milliseconds, so a live one never comes near.
 */
const STALE_LOCK_MS = 5_000;

// An empty XDG_* variable counts as unset, as the XDG spec says (and bin/dfs.js and the resume state read it).
export const configPath = () => join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'dfs', 'config.json');

/** Empty counts as unset here too: `DFS_TOKEN= dfs whoami` means the saved token, not none. */
const environment = (name: 'DFS_PROFILE' | 'DFS_ENDPOINT' | 'DFS_TOKEN') => process.env[name] || undefined;

/** The profile a command names, by --profile or else DFS_PROFILE; undefined when neither does (an empty one names none). */
export const namedProfile = (option: string | undefined) => option || environment('DFS_PROFILE');

/** The --endpoint of login: anything but an http(s) URL can never be reached, so it is a usage error. */
export function endpointUrl(value: string): string {
  if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
    throw new UsageError(`--endpoint must be an http:// or https:// URL, e.g. http://127.0.0.1:8787, not "${value}"`);
  }
  return value;
}

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

/**
 * Runs `update` holding `<path>.lock`, so logins running at once each add their profile to what
 * the one before saved instead of writing over it.
 */
async function whileLocked<T>(path: string, update: () => Promise<T>): Promise<T> {
  const unlock = await acquirePidLock(`${path}.lock`, { whenHeld: 'wait', heldAtMostMs: STALE_LOCK_MS, mode: 0o600 });
  try {
    return await update();
  } finally {
    await unlock();
  }
}

/** Saves `profile` as `name`, the default from now on when `makeDefault`, else only when there is none yet. */
export async function saveProfile(name: string, profile: Profile, makeDefault: boolean): Promise<string> {
  const path = configPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await whileLocked(path, async () => {
    const config = await readConfig();
    // Defined, not assigned: a profile named "__proto__" is a profile like any other.
    Object.defineProperty(config.profiles, name, { value: profile, enumerable: true, writable: true, configurable: true });
    if (makeDefault) config.defaultProfile = name;
    else config.defaultProfile ??= name;
    // Aside, then renamed: a reader (or a kill) meets the old profiles or the new, never a file cut short.
    replaceFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  });
  return path;
}

export class NotLoggedIn extends Error {}

/** The profile saved as `name`, its own (not "constructor" of every object), checked to be one. */
function savedProfile(config: ConfigFile, name: string): Profile | undefined {
  if (!Object.hasOwn(config.profiles, name)) return undefined;
  const saved: unknown = config.profiles[name];
  const fields = saved as Partial<Record<keyof Profile, unknown>>;
  if (typeof saved !== 'object' || saved === null || typeof fields.endpoint !== 'string' || typeof fields.token !== 'string') {
    throw new Error(`${configPath()}: profile "${name}" is not an endpoint and a token: fix it, or log in again`);
  }
  return saved as Profile;
}

export async function loadProfile(name: string | undefined): Promise<Profile> {
  const fromEnvironment = { endpoint: environment('DFS_ENDPOINT'), token: environment('DFS_TOKEN') };
  // The environment names both: the file is not needed, whatever state it is in.
  if (fromEnvironment.endpoint && fromEnvironment.token) return { endpoint: fromEnvironment.endpoint, token: fromEnvironment.token };
  const config = await readConfig();
  const named = namedProfile(name);
  const saved = savedProfile(config, named ?? config.defaultProfile ?? 'default');
  const endpoint = fromEnvironment.endpoint ?? saved?.endpoint;
  const token = fromEnvironment.token ?? saved?.token;
  if (!endpoint || !token) {
    throw new NotLoggedIn(`not logged in${named === undefined ? '' : ` with profile "${named}"`}: run "dfs login" or set DFS_ENDPOINT and DFS_TOKEN`);
  }
  return { endpoint, token };
}
