import { describe, expect, it } from 'vitest';
import { hasScope, requireAccess, requireFolderAccess, visibleScanPrefix, type Principal } from '../../src/core/access.ts';

const principal = (scopes: Principal['scopes'], prefix: string | null = null): Principal => ({
  tokenId: 't',
  name: 'test',
  scopes,
  prefix,
  expiresAt: null,
});

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('scopes', () => {
  it('admin covers every scope, others only themselves', () => {
    expect(hasScope(principal(['admin']), 'delete')).toBe(true);
    expect(hasScope(principal(['read']), 'write')).toBe(false);
    expect(hasScope(principal(['read', 'write']), 'write')).toBe(true);
  });
});

describe('prefix limits', () => {
  const limited = principal(['read', 'write', 'delete'], 'a/');

  it('allows files under the prefix, but not a file named like the prefix', () => {
    expect(code(() => requireAccess(limited, 'read', 'a/x'))).toBe('ok');
    expect(code(() => requireAccess(limited, 'read', 'a'))).toBe('forbidden');
    expect(code(() => requireAccess(limited, 'delete', 'a'))).toBe('forbidden');
    expect(code(() => requireAccess(limited, 'write', 'a'))).toBe('forbidden');
  });

  it('allows folder operations on the prefix folder itself and below', () => {
    expect(code(() => requireFolderAccess(limited, 'delete', 'a'))).toBe('ok');
    expect(code(() => requireFolderAccess(limited, 'write', 'a/sub'))).toBe('ok');
    expect(code(() => requireFolderAccess(limited, 'delete', 'ab'))).toBe('forbidden');
    expect(code(() => requireFolderAccess(limited, 'delete', 'b'))).toBe('forbidden');
    expect(code(() => requireFolderAccess(principal(['read'], 'a/'), 'delete', 'a'))).toBe('forbidden');
  });

  it('forbids paths outside it, including look-alike names', () => {
    expect(code(() => requireAccess(limited, 'read', 'b/x'))).toBe('forbidden');
    expect(code(() => requireAccess(limited, 'write', 'ab/x'))).toBe('forbidden');
    expect(code(() => requireAccess(limited, 'write', 'ax'))).toBe('forbidden');
  });

  it('narrows listings of ancestors and forbids disjoint ones', () => {
    expect(visibleScanPrefix(limited, '')).toBe('a/');
    expect(visibleScanPrefix(limited, 'a')).toBe('a/');
    expect(visibleScanPrefix(limited, 'a/sub/')).toBe('a/sub/');
    expect(code(() => visibleScanPrefix(limited, 'b/'))).toBe('forbidden');
    expect(code(() => visibleScanPrefix(limited, 'ab'))).toBe('forbidden');
  });

  it('requires the scope before anything else', () => {
    expect(code(() => requireAccess(principal(['read'], 'a/'), 'write', 'a/x'))).toBe('forbidden');
    expect(code(() => visibleScanPrefix(principal(['write']), ''))).toBe('forbidden');
  });
});
