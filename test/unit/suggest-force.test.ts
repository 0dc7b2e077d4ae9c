/** The CLI's -f advice follows the API's conflict reason, whatever the message says. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/client/api-client.ts';
import { suggestForce } from '../../src/cli/copy-folder.ts';

const thrown = (run: () => never): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
};

describe('suggestForce', () => {
  it('advises -f for a destination that exists, by reason not by wording', () => {
    const taken = new ApiError(409, 'conflict', '"a/b.txt" is taken', 'target_exists');
    const advised = thrown(() => suggestForce(undefined)(taken)) as ApiError;
    expect(advised.message).toBe('"a/b.txt" is taken (use -f to replace it)');
    expect(advised).toMatchObject({ status: 409, code: 'conflict', reason: 'target_exists' });
  });

  it('gives no advice for another conflict, even one worded "already exists", nor when -f was given', () => {
    const clash = new ApiError(409, 'conflict', '"a" already exists as a folder', 'name_clash');
    expect(thrown(() => suggestForce(undefined)(clash))).toBe(clash);
    const taken = new ApiError(409, 'conflict', '"a/b.txt" already exists', 'target_exists');
    expect(thrown(() => suggestForce(true)(taken))).toBe(taken);
  });
});
