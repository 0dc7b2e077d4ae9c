/**
 * Remote paths are relative to the bucket's top level, which users often write as a leading "/"
 * (`dfs ls /`, `dfs get /docs/a.txt`): every command reads such a path as the same one without it.
 */
export const remotePath = (arg: string): string => arg.replace(/^\/+/, '');
