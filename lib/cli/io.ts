/**
 * What every cgmgr command shares: argument parsing that turns mistakes into usage errors, the exit codes, JSON that
 * is safe for bigints, colour only where a terminal shows it, and the error line of a failed command.
 *
 * Conventions (ECOSYSTEM §9): `--help` prints usage on stdout and exits 0; a usage error prints the message and the
 * usage on stderr and exits 2; an operational error prints `cgmgr: CODE: message` on stderr and exits 1. With
 * `--json` stdout carries only JSON.
 */
import { parseArgs, styleText } from 'node:util';
import type { CgroupError } from '../errors';
import { didYouMean } from './suggest';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake on the command line: reported with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The streams a command writes to (the process's own, or a test's). */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

/** The process's streams, each made when first used: `process.stdin` alone loads fs streams and fs/promises (~2 ms of a
 * `cgmgr paths` that never reads its input). */
export const processIo = (): Io => ({
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get stdin() {
    return process.stdin;
  },
});

/** The options of a command: long name -> kind (and an optional one-letter alias). */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
/** What parseCommand returns for an OptionSpec: strings and booleans by kind (arrays when multiple), undefined when absent. */
export type OptionValues<O extends OptionSpec> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
} & { help?: boolean };

/** node:util parseArgs (strict), with `-h/--help` added and its errors turned into UsageErrors. */
export function parseCommand<const O extends OptionSpec>(
  argv: string[],
  options: O,
  allowPositionals = false,
): { values: OptionValues<O>; positionals: string[] } {
  try {
    const r = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    return { values: r.values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error & { code?: string }, options, allowPositionals));
  }
}

/** parseArgs's error in cgmgr's words, with a suggestion for a mistyped option. */
function parseArgsMessage(err: Error & { code?: string }, options: OptionSpec, allowPositionals: boolean): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = quoted.replace(/^-+/, '').split('=')[0]!;
      const longs = ['help', ...Object.keys(options)];
      const hint = quoted.startsWith('--') || name.length > 1 ? didYouMean(name, longs, '--') : '';
      return `unknown option ${quoted}${hint}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const opt = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
      if (/argument missing/.test(err.message)) return `option ${opt} needs a value`;
      if (/does not take an argument/.test(err.message)) return `option ${opt} takes no value`;
      return err.message;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}'${allowPositionals ? '' : ' (this command takes only options)'}`;
    default:
      return err.message;
  }
}

/** An integer option: undefined when absent, else a checked integer in [min, max]. */
export function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** A positive number option (seconds and the like). */
export function numberOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * JSON text (indented, or one line with indent 0) that loses no precision: integers up to 2^53 (bigints too) are
 * JSON numbers, larger integers are exact decimal strings ("18446744073709551614"), no limit (Infinity) is the string
 * "max"; NaN is null. Ends with a newline. docs/cli.md documents this for `--json`.
 */
export function toJson(value: unknown, indent = 2): string {
  return (
    JSON.stringify(
      value,
      (_k, v: unknown) => {
        if (typeof v === 'bigint')
          return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(v)
            : v.toString();
        if (typeof v === 'number') {
          if (!Number.isFinite(v)) return Number.isNaN(v) ? null : 'max';
          if (Number.isInteger(v) && !Number.isSafeInteger(v)) return BigInt(v).toString();
        }
        return v;
      },
      indent,
    ) + '\n'
  );
}

/**
 * The smallest value a v1 limit file (memory.limit_in_bytes and the like) shows for "no limit": the kernel writes
 * PAGE_COUNTER_MAX pages, LONG_MAX rounded down to the page size (0x7FFFFFFFFFFFF000 with 4 KiB pages,
 * 0x7FFFFFFFFFFF0000 with 64 KiB pages).
 */
export const V1_UNLIMITED = 0x7fffffffffff0000n;

/** A limit as JSON wants it: Infinity ("max") for no limit (v2 `max`, 2^64-1, or v1's unlimited value), else the value. */
export function limitValue(v: number | bigint | null | undefined): number | bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v === Infinity || v >= Number(V1_UNLIMITED) ? Infinity : v;
  return v >= V1_UNLIMITED ? Infinity : v;
}

/** Colour for one stream: util.styleText, which gives plain text unless the stream is a TTY (honours NO_COLOR, FORCE_COLOR). */
export function styler(stream: NodeJS.WriteStream): (format: Parameters<typeof styleText>[0], text: string) => string {
  return (format, text) => styleText(format, text, { stream });
}

/** The line of a failed command: `cgmgr: CODE: message` (the code when the error has one). */
export function errorLine(err: unknown): string {
  const e = err as CgroupError;
  const code = typeof e?.code === 'string' ? e.code : '';
  let msg = e instanceof Error ? e.message : String(err);
  if (code !== '') {
    // Node's system errors say "listen EADDRINUSE: address already in use …": the code once, then the syscall.
    const m = new RegExp(`^(\\w+) ${code}: (.*)$`, 's').exec(msg);
    if (m) msg = `${m[1]}: ${m[2]}`;
    if (msg.startsWith(`${code}: `)) msg = msg.slice(code.length + 2);
  }
  return `cgmgr: ${code === '' ? '' : code + ': '}${msg}\n`;
}

/** "1.5 GiB" for bytes, "max" for no limit, "-" for missing. */
export function formatBytes(value: number | bigint | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const n = Number(value);
  if (Number.isNaN(n)) return '-';
  if (!Number.isFinite(n) || n >= 2 ** 62) return 'max';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A plain-text table: the first column left-aligned, the others right-aligned, two spaces apart. */
export function renderTable(header: string[], rows: string[][], width?: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => {
    const s = c
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
    return width !== undefined && s.length > width ? s.slice(0, width) : s;
  };
  return [line(header), ...rows.map(line)];
}
