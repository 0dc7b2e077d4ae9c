import { describe, expect, it } from 'vitest';
import { DfsError } from '../../src/core/errors.ts';
import { ancestorsOf, baseName, folderOf, isWithin, normalizePath, normalizePrefix, prefixEnd } from '../../src/core/paths.ts';
import { compareCodePoints } from '../../src/core/listing.ts';

const rejects = (raw: unknown) => {
  try {
    normalizePath(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(DfsError);
    return (error as DfsError).code;
  }
  return 'accepted';
};

describe('normalizePath', () => {
  it('accepts ordinary and unicode paths', () => {
    expect(normalizePath('a/b/c.txt')).toBe('a/b/c.txt');
    expect(normalizePath('docs/report v2.pdf')).toBe('docs/report v2.pdf');
    expect(normalizePath('日本/😀 file')).toBe('日本/😀 file');
    expect(normalizePath('a\\b')).toBe('a\\b');
  });

  it('stores names in NFC so two spellings are one file', () => {
    const decomposed = 'cafe\u0301/re\u0301sume\u0301.txt';
    const composed = 'caf\u00e9/r\u00e9sum\u00e9.txt';
    expect(normalizePath(decomposed)).toBe(composed);
    expect(normalizePath(composed)).toBe(composed);
  });

  it.each([
    ['', 'empty'],
    ['/a', 'leading slash'],
    ['a/', 'trailing slash'],
    ['a//b', 'empty segment'],
    ['a/./b', 'dot segment'],
    ['a/../b', 'dot-dot segment'],
    ['..', 'dot-dot alone'],
    ['.', 'dot alone'],
    ['a\u0000b', 'NUL'],
    ['a\nb', 'newline'],
    ['a\u007fb', 'DEL'],
    ['a\u0085b', 'C1 control'],
    ['a\ud800b', 'lone surrogate'],
    ['x'.repeat(1025), '1025 bytes'],
    [`${'x'.repeat(256)}`, '256-byte segment'],
    [`a/${'é'.repeat(128)}`, 'segment of 256 bytes in two-byte characters'],
  ])('rejects %j (%s)', (raw) => {
    expect(rejects(raw)).toBe('invalid_path');
  });

  it('accepts the limits exactly', () => {
    const segment = 'x'.repeat(255);
    expect(normalizePath(segment)).toBe(segment);
    const long = ['y'.repeat(255), 'y'.repeat(255), 'y'.repeat(255), 'y'.repeat(254), 'z'].join('/');
    expect(new TextEncoder().encode(long).length).toBe(1024);
    expect(normalizePath(long)).toBe(long);
  });

  it('rejects non-strings', () => {
    expect(rejects(42)).toBe('invalid_path');
    expect(rejects(null)).toBe('invalid_path');
  });
});

describe('normalizePrefix', () => {
  it('allows a trailing slash and partial names', () => {
    expect(normalizePrefix('docs/')).toBe('docs/');
    expect(normalizePrefix('docs/re')).toBe('docs/re');
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('')).toBe('');
  });

  it('allows a partial name of dots, which ".env" or "..data" start with', () => {
    expect(normalizePrefix('.')).toBe('.');
    expect(normalizePrefix('docs/..')).toBe('docs/..');
    expect(() => normalizePrefix('docs/./')).toThrow(DfsError);
    expect(() => normalizePrefix(`${'a'.repeat(1023)}/.`)).toThrow(DfsError);
  });

  it('rejects what no path could start with', () => {
    expect(() => normalizePrefix('/docs')).toThrow(DfsError);
    expect(() => normalizePrefix('a//')).toThrow(DfsError);
    expect(() => normalizePrefix('../')).toThrow(DfsError);
  });
});

describe('folder arithmetic', () => {
  it('bounds every string under a prefix in byte order', () => {
    expect(prefixEnd('a/')).toBe('a0');
    expect(prefixEnd('')).toBeNull();
    expect(prefixEnd('a\ud7ff')).toBe('a\ue000');
    expect(prefixEnd('a😀')).toBe('a😁');
    // The last code point has no successor: the bound carries to the one before.
    expect(prefixEnd('ax\u{10ffff}')).toBe('ay');
    expect(prefixEnd('\u{10ffff}\u{10ffff}')).toBeNull();
    const end = prefixEnd('a/')!;
    for (const inside of ['a/', 'a/b', 'a/\uffff', 'a/😀', 'a/\u{10ffff}']) expect(compareCodePoints(inside, end)).toBeLessThan(0);
    for (const outside of ['a0', 'a1', 'b']) expect(compareCodePoints(outside, end)).toBeGreaterThanOrEqual(0);
  });

  it('compares in UTF-8 byte order, not UTF-16 order', () => {
    // U+FF01 sorts before U+1F600 in UTF-8 bytes, after it in UTF-16 code units.
    expect(compareCodePoints('\uff01', '😀')).toBeLessThan(0);
    expect('\uff01' < '😀').toBe(false);
  });

  it('names ancestors, base names and containment', () => {
    expect(ancestorsOf('a/b/c')).toEqual(['a', 'a/b']);
    expect(ancestorsOf('a')).toEqual([]);
    expect(baseName('a/b/c.txt')).toBe('c.txt');
    expect(folderOf('a/b')).toBe('a/b/');
    expect(isWithin('a/b', 'a/')).toBe(true);
    expect(isWithin('a', 'a/')).toBe(false);
    expect(isWithin('a/', 'a/')).toBe(true);
    expect(isWithin('ab', 'a/')).toBe(false);
  });
});
