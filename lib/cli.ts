#!/usr/bin/env node
/**
 * The cgmgr command line: `cgmgr <command> [options]`. Each command lives in lib/cli/<command>.ts; this file picks
 * one, and turns what it throws into the exit code: 0 success, 1 an operational failure (`cgmgr: CODE: message` on
 * stderr), 2 a usage error (the message and the command's usage on stderr; a mistyped command or option gets a
 * "did you mean"). `--help` prints usage on stdout, exit 0; `--version` prints `cgmgr <version>`. A `--root` that is
 * no cgroup root is refused here for every command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './cli/command';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, errorLine, processIo, type Io } from './cli/io';
import { moveCommand } from './cli/move';
import { pathsCommand } from './cli/paths';
import { checkRoot, rootArgument } from './cli/root';
import { serveCommand } from './cli/serve';
import { statsCommand } from './cli/stats';
import { didYouMean } from './cli/suggest';
import { topCommand } from './cli/top';

export const COMMANDS: readonly Command[] = [statsCommand, topCommand, pathsCommand, moveCommand, serveCommand];

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: cgmgr <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Options:
  -h, --help     this text ('cgmgr help <command>' or 'cgmgr <command> --help' for a command's options)
  --version      the version of cgmgr

Exit status: 0 ok, 1 operational error, 2 usage error.
`;
}

/** This package's version (from its package.json). */
export function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The message for a first argument that is no command. */
function unknownCommand(name: string): string {
  if (name.startsWith('-')) {
    return `unknown option ${name}${didYouMean(name.replace(/^-+/, ''), ['help', 'version'], '--')}: ` +
      'a command comes first, its options after it (cgmgr <command> [options])';
  }
  return `unknown command '${name}'${didYouMean(name, COMMANDS.map((c) => c.name))}`;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`cgmgr ${version()}\n`);
    return EXIT_OK;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const sub = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !sub) {
      io.stderr.write(`cgmgr help: ${unknownCommand(topic)}\n\n${usage()}`);
      return EXIT_USAGE;
    }
    io.stdout.write(sub ? sub.usage : usage());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`cgmgr: ${unknownCommand(name)}\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    const root = rootArgument(rest);
    if (root !== undefined && !rest.includes('--help') && !rest.includes('-h')) checkRoot(root);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`cgmgr ${command.name}: ${err.message}\n\n${command.usage}`);
      return EXIT_USAGE;
    }
    io.stderr.write(errorLine(err));
    return EXIT_FAILURE;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(errorLine(err));
    process.exitCode = EXIT_FAILURE;
  });
}
