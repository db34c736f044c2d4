#!/usr/bin/env node
/**
 * The cgmgr command line: `cgmgr <command> [options]`. Each command lives in lib/cli/<command>.ts; this file picks
 * one, and turns what it throws into the exit code: 0 success, 1 an operational failure (`cgmgr: CODE: message` on
 * stderr), 2 a usage error (the message and the command's usage on stderr). `--help` prints usage on stdout, exit 0.
 */
import type { Command } from './cli/command';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, errorLine, processIo, type Io } from './cli/io';

/**
 * A command as the list knows it: its name and summary (the same as its module's: test/cli/lazy.test.js); its module is
 * loaded only when it runs or prints its usage, so that `cgmgr paths` does not load the collector or the exporter.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Command;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'stats', summary: 'memory, CPU and task counts of cgroups (table or --json)', load: () => require('./cli/stats').statsCommand },
  { name: 'top', summary: 'live view of the busiest cgroups (q quits)', load: () => require('./cli/top').topCommand },
  { name: 'paths', summary: 'the cgroup paths the systemd or cgroupfs manager computes for a container', load: () => require('./cli/paths').pathsCommand },
  { name: 'move', summary: 'move a process into a cgroup in every hierarchy', load: () => require('./cli/move').moveCommand },
  { name: 'serve', summary: 'serve Prometheus metrics at /metrics until SIGINT/SIGTERM', load: () => require('./cli/serve').serveCommand },
];

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
    io.stdout.write(sub ? sub.load().usage : usage());
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`cgmgr: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = entry.load();
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
