import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/commands.ts';

const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)];

describe('dfs --help', () => {
  it('shows examples on every command and subcommand', () => {
    const commands = everyCommand(buildProgram()).filter((command) => command.name() !== 'help');
    expect(commands.map((command) => command.name())).toEqual(expect.arrayContaining(['put', 'get', 'ls', 'rm', 'token', 'create', 'revoke', 'serve', 'menu']));
    for (const command of commands) {
      let text = '';
      command.configureOutput({ writeOut: (chunk) => (text += chunk) });
      command.outputHelp();
      expect(text, `dfs ${command.name()} --help`).toMatch(/\nExamples:\n {2}dfs( |$)/m);
    }
  });
});

describe('dfs token revoke --help', () => {
  it('says the tokens and share links the token made end with it', () => {
    const revoke = buildProgram().commands.find((command) => command.name() === 'token')!.commands.find((command) => command.name() === 'revoke')!;
    let text = '';
    revoke.configureOutput({ writeOut: (chunk) => (text += chunk) });
    revoke.outputHelp();
    expect(text.replace(/\s+/g, ' ')).toContain('with the tokens it created (and theirs, down the line) and every share link any of them made');
  });
});
