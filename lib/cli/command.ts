/** The shape of one cgmgr subcommand: its name, one line for the command list, its usage text, and what it does. */
import type { Io } from './io';

export interface Command {
  name: string;
  /** One line for `cgmgr --help`. */
  summary: string;
  /** The full `cgmgr <name> --help` text. */
  usage: string;
  /** Runs the command; resolves to the exit code. Throws UsageError for a bad command line, anything else for a failure. */
  run(argv: string[], io: Io): Promise<number>;
}
