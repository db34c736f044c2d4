#!/usr/bin/env node
/**
 * The cgmgr command line: `cgmgr <command> [options]`. Each command lives in lib/cli/<command>.ts; this file picks
 * one, and turns what it throws into the exit code: 0 success, 1 an operational failure (`cgmgr: CODE: message` on
 * stderr), 2 a usage error (the message and the command's usage on stderr). `--help` prints usage on stdout, exit 0.
 */
import type { Command } from './cli/command';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, errorLine, processIo, type Io } from './cli/io';
import { moveCommand } from './cli/move';
import { pathsCommand } from './cli/paths';
import { serveCommand } from './cli/serve';
import { statsCommand } from './cli/stats';
import { topCommand } from './cli/top';

export const COMMANDS: readonly Command[] = [statsCommand, topCommand, pathsCommand, moveCommand, serveCommand];

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: cgmgr <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Run 'cgmgr <command> --help' for a command's options.
Exit status: 0 ok, 1 operational error, 2 usage error.
`;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const sub = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(sub ? sub.usage : usage());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`cgmgr: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
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
