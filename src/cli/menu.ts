/**
 * The interactive menu, like the original socket client's: each choice asks for its
 * arguments and runs the same command as the command line would.
 */
import { CommanderError } from 'commander';
import { createInterface } from 'node:readline/promises';
import { buildProgram } from './commands.ts';
import { oneLine } from './output.ts';

/** What a choice asks; one with `empty` may be left empty, which means that. */
interface Question {
  text: string;
  empty?: string;
}

interface Choice {
  label: string;
  /** An empty answer to a question without `empty` goes back to the menu, without asking the rest. */
  questions: Question[];
  /** Asked last, for what cannot be undone: anything but y or yes cancels. */
  confirm?: (answers: string[]) => string;
  /**
   * The command line for the answers; empty answers are left out. Names follow "--", so one
   * starting with "-" is a name, not an option.
   */
  argv: (answers: string[]) => string[];
}

const CHOICES: Choice[] = [
  {
    label: 'upload',
    questions: [{ text: 'local file or folder' }, { text: 'remote folder or path', empty: 'top level' }],
    argv: ([local, remote]) => ['put', '-r', '--', local!, ...(remote ? [remote] : [])],
  },
  {
    label: 'download',
    questions: [{ text: 'remote file or folder' }, { text: 'local destination', empty: 'here' }],
    argv: ([remote, local]) => ['get', '-r', '--', remote!, ...(local ? [local] : [])],
  },
  { label: 'list', questions: [{ text: 'folder', empty: 'top level' }], argv: ([prefix]) => ['ls', '-l', '--', ...(prefix ? [prefix] : [])] },
  {
    label: 'delete',
    questions: [{ text: 'remote file or folder' }],
    confirm: ([path]) => `delete ${path}, and everything in it if it is a folder? (y/N)`,
    argv: ([path]) => ['rm', '-r', '--', path!],
  },
  { label: 'rename', questions: [{ text: 'from' }, { text: 'to' }], argv: ([from, to]) => ['mv', '--', from!, to!] },
  {
    label: 'share',
    questions: [{ text: 'remote file' }, { text: 'expires (e.g. 7d)', empty: 'default' }],
    argv: ([path, expires]) => ['share', ...(expires ? ['--expires', expires] : []), '--', path!],
  },
];

export async function runMenu(globals: { profile?: string; json?: boolean; quiet?: boolean }): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string) => {
    process.stdout.write(`${question}: `);
    const next = await lines.next();
    if (next.done) throw new EndOfInput();
    return next.value.trim();
  };
  const prefix = [...(globals.profile ? ['--profile', globals.profile] : []), ...(globals.json ? ['--json'] : []), ...(globals.quiet ? ['--quiet'] : [])];
  try {
    for (;;) {
      process.stdout.write(`\n${CHOICES.map((c, i) => `${i + 1}) ${c.label}`).join('  ')}  ${CHOICES.length + 1}) quit\n`);
      const answer = await ask('choose');
      const index = Number(answer) - 1;
      if (index === CHOICES.length || answer === 'q' || answer === 'quit') return;
      const choice = CHOICES[index] ?? CHOICES.find((c) => c.label === answer);
      if (!choice) {
        process.stdout.write(`"${answer}" is not on the menu\n`);
        continue;
      }
      const answers: string[] = [];
      for (const question of choice.questions) {
        const answer = await ask(question.empty === undefined ? question.text : `${question.text} (empty: ${question.empty})`);
        if (!answer && question.empty === undefined) break;
        answers.push(answer);
      }
      if (answers.length < choice.questions.length) {
        process.stdout.write('nothing to do\n');
        continue;
      }
      if (choice.confirm && !/^y(es)?$/i.test(await ask(choice.confirm(answers)))) {
        process.stdout.write('cancelled\n');
        continue;
      }
      try {
        await buildProgram().parseAsync(['node', 'dfs', ...prefix, ...choice.argv(answers)]);
      } catch (error) {
        // Commander has printed its own usage errors already.
        if (!(error instanceof CommanderError)) process.stdout.write(`error: ${oneLine((error as Error).message)}\n`);
      }
    }
  } catch (error) {
    if (!(error instanceof EndOfInput)) throw error;
  } finally {
    rl.close();
  }
}

class EndOfInput extends Error {}
