/**
 * A start the host refuses though the configuration reads well: a file that cannot be read, a
 * port taken, an index another server holds. Its message is the one line the operator sees, and
 * names the variable to change.
 */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory',
};

/** Why a file could not be read, in a few words (the code, for the rare ones). */
export const fileProblem = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && REASONS[code]) ?? code ?? (error as Error).message;
};
