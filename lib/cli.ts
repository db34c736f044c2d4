#!/usr/bin/env node
/**
 * The cgmgr command line: `cgmgr <command> [options]`. Each command lives in lib/cli/<command>.ts; this file picks
 * one, and turns what it throws into the exit code: 0 success, 1 an operational failure (`cgmgr: CODE: message` on
 * stderr), 2 a usage error (the message and the command's usage on stderr; a mistyped command or option gets a
 * "did you mean"). `--help` prints usage on stdout, exit 0; `--version` prints `cgmgr <version>`. A `--root` that is
 * no cgroup root is refused here for every command.
 */
// The start-up bundle first (lib/bundle.ts): `cgmgr paths`/`cgmgr move` then load their modules from it.
import { loadBundle } from './bundle';
loadBundle('cli');
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './cli/command';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, errorLine, processIo, type Io } from './cli/io';
import { checkRoot, rootArgument } from './cli/root';
import { didYouMean } from './cli/suggest';

/**
 * A command as the list knows it: its name and summary (the same as its module's: test/cli/lazy.test.js); its module is
 * loaded only when it runs or prints its usage, so that `cgmgr paths` does not load the collector or the exporter.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Command;
}

/* eslint-disable @typescript-eslint/no-require-imports -- lazy: a command's module loads only when it runs */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'stats',
    summary: 'memory, CPU and task counts of cgroups (table or --json)',
    load: () => (require('./cli/stats') as typeof import('./cli/stats')).statsCommand,
  },
  {
    name: 'top',
    summary: 'live view of the busiest cgroups (q quits)',
    load: () => (require('./cli/top') as typeof import('./cli/top')).topCommand,
  },
  {
    name: 'paths',
    summary: 'the cgroup paths the systemd or cgroupfs manager computes for a container',
    load: () => (require('./cli/paths') as typeof import('./cli/paths')).pathsCommand,
  },
  {
    name: 'move',
    summary: 'move a process into a cgroup in every hierarchy',
    load: () => (require('./cli/move') as typeof import('./cli/move')).moveCommand,
  },
  {
    name: 'serve',
    summary: 'serve Prometheus metrics at /metrics until SIGINT/SIGTERM',
    load: () => (require('./cli/serve') as typeof import('./cli/serve')).serveCommand,
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

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
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The message for a first argument that is no command. */
function unknownCommand(name: string): string {
  if (name.startsWith('-')) {
    return (
      `unknown option ${name}${didYouMean(name.replace(/^-+/, ''), ['help', 'version'], '--')}: ` +
      'a command comes first, its options after it (cgmgr <command> [options])'
    );
  }
  return `unknown command '${name}'${didYouMean(
    name,
    COMMANDS.map((c) => c.name),
  )}`;
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
    io.stdout.write(sub ? sub.load().usage : usage());
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`cgmgr: ${unknownCommand(name)}\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = entry.load();
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
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(errorLine(err));
      process.exitCode = EXIT_FAILURE;
    },
  );
}
