/**
 * `--exclude` patterns for folder transfers, as people write them in ignore files: a pattern
 * without "/" ("node_modules", "*.log", ".*") matches a file or folder name at any depth; one
 * with "/" ("build/**", "docs/*.tmp", "./notes.txt") matches the path from the folder being
 * transferred. A trailing "/" ("dist/") changes nothing: a folder left out takes its files.
 * Wildcards match names starting with "." too: "build/**" leaves out build/.env.
 */
import { Minimatch } from 'minimatch';

/** Whether a path ("a/b/c.txt", relative to the folder being transferred) is left out. */
export type Excluded = (relativePath: string) => boolean;

export function exclusion(patterns: readonly string[]): Excluded {
  if (patterns.length === 0) return () => false;
  const byPath: Minimatch[] = [];
  const byName: Minimatch[] = [];
  for (const pattern of patterns) {
    const trimmed = pattern.replace(/\/+$/, '');
    const matcher = (glob: string) => new Minimatch(glob, { dot: true });
    if (trimmed.includes('/')) byPath.push(matcher(trimmed.replace(/^(\.?\/)+/, '')));
    else if (trimmed !== '') byName.push(matcher(trimmed));
  }
  return (path) => {
    if (byPath.some((glob) => glob.match(path))) return true;
    return byName.length > 0 && path.split('/').some((name) => byName.some((glob) => glob.match(name)));
  };
}
