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

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

/** The options of a command: long name -> kind (and an optional one-letter alias). */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
/** What parseCommand returns for an OptionSpec: strings and booleans by kind (arrays when multiple), undefined when absent. */
export type OptionValues<O extends OptionSpec> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
} & { help?: boolean };

/** node:util parseArgs (strict), with `-h/--help` added and its errors turned into UsageErrors. */
export function parseCommand<const O extends OptionSpec>(argv: string[], options: O, allowPositionals = false): { values: OptionValues<O>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return { values: r.values as OptionValues<O>, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** An integer option: undefined when absent, else a checked integer in [min, max]. */
export function intOption(value: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A positive number option (seconds and the like). */
export function numberOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** JSON text (indented, or one line with indent 0) with bigints as decimal strings and non-finite numbers (a `max`
 * limit) as the string "max"; ends with a newline. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? null : 'max';
    return v;
  }, indent) + '\n';
}

/** Colour for one stream: util.styleText, which gives plain text unless the stream is a TTY (honours NO_COLOR, FORCE_COLOR). */
export function styler(stream: NodeJS.WriteStream): (format: Parameters<typeof styleText>[0], text: string) => string {
  return (format, text) => styleText(format, text, { stream });
}

/** The line of a failed command: `cgmgr: CODE: message` (the code when the error has one). */
export function errorLine(err: unknown): string {
  const e = err as CgroupError;
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const msg = e instanceof Error ? e.message : String(err);
  return `cgmgr: ${msg.startsWith(code) ? msg : code + msg}\n`;
}

/** "1.5 GiB" for bytes, "max" for no limit, "-" for missing. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
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
    const s = c.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
    return width !== undefined && s.length > width ? s.slice(0, width) : s;
  };
  return [line(header), ...rows.map(line)];
}
