/**
 * `--exclude` patterns for folder transfers, as people write them in ignore files: a pattern
 * without "/" ("node_modules", "*.log", ".*") matches a file or folder name at any depth; one
 * with "/" ("build/**", "docs/*.tmp") matches the path from the folder being transferred.
 */
import { posix } from 'node:path';

/** Whether a path ("a/b/c.txt", relative to the folder being transferred) is left out. */
export type Excluded = (relativePath: string) => boolean;

export function exclusion(patterns: readonly string[]): Excluded {
  if (patterns.length === 0) return () => false;
  const byPath = patterns.filter((pattern) => pattern.includes('/')).map((pattern) => pattern.replace(/^\/+/, ''));
  const byName = patterns.filter((pattern) => !pattern.includes('/'));
  return (path) => {
    if (byPath.some((pattern) => posix.matchesGlob(path, pattern))) return true;
    return byName.length > 0 && path.split('/').some((name) => byName.some((pattern) => posix.matchesGlob(name, pattern)));
  };
}
