/**
 * The `dfs` entry: runs a command and turns failures into one clear line and an exit code
 * (0 ok, 1 failure, 2 usage). With no arguments it opens the menu in a terminal, and prints
 * help otherwise.
 */
import { CommanderError } from 'commander';
import { ApiError } from '../client/api-client.ts';
import { StoreOutage } from '../client/outage.ts';
import { buildProgram } from './commands.ts';
import { oneLine, safeLines } from './output.ts';
import { NotLoggedIn } from './profiles.ts';
import { TransferFailures, UsageError } from './transfer.ts';

export async function main(argv: string[]): Promise<number> {
  // `dfs ls | head` closes the pipe early: that is not an error. Any other (a full disk) ends
  // the command: nothing more can be delivered.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`dfs: cannot write to standard output: ${error.message}\n`);
    process.exit(1);
  });
  const program = buildProgram();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const args = argv.slice(2);
  if (args.length === 0) {
    if (process.stdin.isTTY && process.stdout.isTTY) args.push('menu');
    else {
      program.outputHelp();
      return 0;
    }
  }
  try {
    await program.parseAsync(['node', 'dfs', ...args]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, --version and `dfs help` end with 0; help shown for what is missing (`dfs token`
      // without its subcommand) with 1, as every other usage error: those are exit 2 here.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`dfs: ${oneLine(error.message)}\n`);
      return 2;
    }
    // `dfs serve` refusing its configuration lists a problem a line, as npm start does. By name:
    // the class would load the server's configuration module into every command's start.
    if (error instanceof Error && error.name === 'ConfigError') {
      process.stderr.write(`dfs: ${safeLines(error.message)}\n`);
      return 1;
    }
    const failures = error instanceof TransferFailures ? error.failures : [error];
    // The files a store outage stopped share one line: a line each would bury the others.
    const stopped = failures.filter((failure) => failure instanceof Error && failure.cause instanceof StoreOutage);
    for (const failure of failures) if (!stopped.includes(failure)) process.stderr.write(`dfs: ${oneLine(describe(failure))}\n`);
    if (stopped.length > 0) {
      const outage = (stopped[0] as Error).cause as StoreOutage;
      process.stderr.write(`dfs: stopped with ${stopped.length} ${stopped.length === 1 ? 'file' : 'files'} not transferred: ${oneLine(outage.message)}; run the same command again to continue\n`);
    }
    return 1;
  }
}

function describe(error: unknown): string {
  if (error instanceof NotLoggedIn) return error.message;
  const cause = error instanceof Error && error.cause instanceof ApiError ? error.cause : error;
  if (cause instanceof ApiError && cause.status === 401) {
    return `${error instanceof Error && error !== cause ? error.message : cause.message} (the token was refused: revoked, expired or wrong; run "dfs login")`;
  }
  return error instanceof Error ? error.message : String(error);
}
