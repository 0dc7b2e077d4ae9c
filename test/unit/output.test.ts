import { describe, expect, it } from 'vitest';
import { oneLine, shellWord, shown } from '../../src/cli/output.ts';

describe('lines the CLI writes', () => {
  it('show a name with control characters in $-quoting, and any other as it is', () => {
    expect(shown('plain name.txt')).toBe('plain name.txt');
    expect(shown("it's\u001b[31m\nx\u0085")).toBe("$'it\\'s\\x1b[31m\\x0ax\\u0085'");
    // Shown raw, it would read "invoiceexe.pdf".
    expect(shown('invoice\u202Efdp.exe')).toBe("$'invoice\\u202efdp.exe'");
  });

  it('give a name as a command line takes it back, one word', () => {
    expect(shellWord('docs/café-2026.txt')).toBe('docs/café-2026.txt');
    expect(shellWord("my docs/it's")).toBe("'my docs/it'\\''s'");
    expect(shellWord('a\u001bb')).toBe("$'a\\x1bb'");
    expect(shellWord('-rf')).toBe('/-rf');
    expect(shellWord('-my docs')).toBe("'/-my docs'");
  });

  it('keep an error line one line whatever it quotes, changing nothing else', () => {
    expect(oneLine("ENAMETOOLONG: rename 'a\nb\u001b' -> 'c'")).toBe("ENAMETOOLONG: rename 'a\\x0ab\\x1b' -> 'c'");
    expect(oneLine('café "x" — 100%')).toBe('café "x" — 100%');
  });
});
