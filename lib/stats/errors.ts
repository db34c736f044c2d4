/**
 * Errors of the stats reader, worded as opencontainers/cgroups v0.0.6 words them where it matters to callers:
 * parse errors are `unable to parse <path>: <reason>` with the library's reasons (strconv messages, the key/value
 * line check, PSI tokens), and the v2 reader's collected errors are `error while statting cgroup v2: [e1 e2 ...]`.
 *
 * The reason comes from the native parser's own record of the failure (BatchResult.parseError: reason, line, field
 * and the offending bytes as it saw them), never from reading the file a second time.
 */
import type { FormatName, ParseErrorRecord } from '../engine';
import { PARSE_REASON } from '../engine';
import { CgroupError } from '../errors';

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. Built on first use: a Unicode
 * property class costs ~0.3 ms to create (ICU), which a hook's start-up should not pay for an error it never words. */
let printable: RegExp | undefined;
const ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

/** The rune at b[i] as utf8.DecodeRune decodes it: [code point, length], or [-1, 1] for an invalid byte. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c = b[i]!;
  if (c < 0x80) return [c, 1];
  const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
  if (need === 0 || i + need >= b.length) return [-1, 1];
  let cp = c & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    const d = b[i + k];
    if (d === undefined || (d & 0xc0) !== 0x80) return [-1, 1];
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    if (
      k === 1 &&
      ((c === 0xe0 && d < 0xa0) || (c === 0xed && d > 0x9f) || (c === 0xf0 && d < 0x90) || (c === 0xf4 && d > 0x8f))
    ) {
      return [-1, 1];
    }
    cp = (cp << 6) | (d & 0x3f);
  }
  return [cp, need + 1];
}

/** Go's %q (strconv.Quote) of bytes: printable runes as they are, the rest escaped, invalid UTF-8 as \xNN. */
export function goQuote(text: string | Uint8Array): string {
  const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let out = '"';
  for (let i = 0; i < b.length;) {
    const [cp, len] = decodeRune(b, i);
    if (cp < 0) {
      out += '\\x' + b[i]!.toString(16).padStart(2, '0');
    } else {
      const ch = String.fromCodePoint(cp);
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if ((printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u).test(ch)) out += ch;
      else if (ESCAPES[cp] !== undefined) out += ESCAPES[cp];
      else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    }
    i += len;
  }
  return out + '"';
}

/** The token quoted; a token the record cut short is marked so (the record keeps at most 256 bytes). */
function quoted(e: ParseErrorRecord): string {
  const q = goQuote(e.token);
  return e.token.length < e.tokenSize ? `${q}... (${e.tokenSize} bytes)` : q;
}

/** The token as Go's %s prints it (the bytes as they are, here decoded as UTF-8). */
function raw(e: ParseErrorRecord): string {
  const s = e.token.toString('utf8');
  return e.token.length < e.tokenSize ? `${s}... (${e.tokenSize} bytes)` : s;
}

/**
 * The library's reason for a file of format `format` that did not parse, from the parser's record: what follows
 * `unable to parse <path>: `. Undefined for a record that has no library wording (none, or too many entries).
 */
export function parseErrorReason(format: FormatName, e: ParseErrorRecord): string | undefined {
  switch (e.reason) {
    case PARSE_REASON.uintSyntax:
    case PARSE_REASON.uintRange: {
      const inner = `strconv.ParseUint: parsing ${quoted(e)}: ${e.reason === PARSE_REASON.uintRange ? 'value out of range' : 'invalid syntax'}`;
      return format === 'psi' ? `invalid ${e.field} PSI value: ${inner}` : inner;
    }
    case PARSE_REASON.floatSyntax:
    case PARSE_REASON.floatRange:
      return `invalid ${e.field} PSI value: strconv.ParseFloat: parsing ${quoted(e)}: ${e.reason === PARSE_REASON.floatRange ? 'value out of range' : 'invalid syntax'}`;
    case PARSE_REASON.keyValueLine:
      return `line ${quoted(e)} is not in "key value" format`;
    case PARSE_REASON.malformedLine:
      return `malformed line: ${raw(e)}`;
    case PARSE_REASON.noEquals:
      return `invalid psi data: ${quoted(e)}`;
    case PARSE_REASON.empty:
      return 'empty file';
    case PARSE_REASON.reversedRange:
      return 'invalid values, from > to';
    case PARSE_REASON.lineTooLong:
      return 'bufio.Scanner: token too long';
    case PARSE_REASON.noFields:
      return `line ${e.line} has no fields`;
    case PARSE_REASON.notPid:
      return `line ${e.line}: ${quoted(e)} is not a pid`;
    default:
      return undefined;
  }
}

/** Go's `%+v` of an error slice: `[e1 e2 ...]`. */
export function v2StatsError(errors: readonly CgroupError[]): CgroupError {
  const first = errors[0]!;
  const err = new CgroupError(`error while statting cgroup v2: [${errors.map((e) => e.message).join(' ')}]`, {
    code: first.code,
    cause: first,
    ...(first.path !== undefined ? { path: first.path } : {}),
  });
  return err;
}
