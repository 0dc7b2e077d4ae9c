import { describe, expect, it } from 'vitest';
import { exclusion } from '../../src/cli/exclusion.ts';

const leftOut = (patterns: string[], paths: string[]) => paths.filter(exclusion(patterns));

describe('--exclude patterns', () => {
  it('match names at any depth when they have no "/"', () => {
    expect(leftOut(['node_modules', '*.log'], ['node_modules', 'a/node_modules/x.js', 'a/b.log', 'a/.hidden.log', 'a/b.txt'])).toEqual([
      'node_modules',
      'a/node_modules/x.js',
      'a/b.log',
      'a/.hidden.log',
    ]);
    expect(leftOut(['.*'], ['.git', 'a/.env', 'a/b'])).toEqual(['.git', 'a/.env']);
  });

  it('match paths from the folder when they have a "/", dotfiles included', () => {
    const paths = ['build/g.o', 'build/.env', 'build/deep/.cache/x', 'sub/.env', 'sub/deep', 'sub/deep/e.txt', 'a/build/x'];
    // sub/deep/e.txt is not matched by itself: the walk leaves out the folder sub/deep, and it with it.
    expect(leftOut(['build/**', 'sub/*'], paths)).toEqual(['build/g.o', 'build/.env', 'build/deep/.cache/x', 'sub/.env', 'sub/deep']);
  });

  it('read "./name" as a path from the folder and a trailing "/" as nothing more', () => {
    expect(leftOut(['./b.txt'], ['b.txt', 'a/b.txt'])).toEqual(['b.txt']);
    expect(leftOut(['dist/'], ['dist', 'dist/x.js', 'a/dist', 'distant'])).toEqual(['dist', 'dist/x.js', 'a/dist']);
    expect(leftOut(['/docs/*.tmp'], ['docs/a.tmp', 'x/docs/a.tmp'])).toEqual(['docs/a.tmp']);
  });

  it('leave everything in with no patterns', () => {
    expect(leftOut([], ['a', '.b', 'c/d'])).toEqual([]);
  });
});
