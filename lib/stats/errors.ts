/**
 * Errors of the stats reader, worded as opencontainers/cgroups v0.0.6 words them where it matters to callers:
 * parse errors are `unable to parse <path>: <reason>` with the library's reasons (strconv messages, the key/value
 * line check, PSI tokens), and the v2 reader's collected errors are `error while statting cgroup v2: [e1 e2 ...]`.
 *
 * The native parsers report only "malformed"; the reason is recovered here by looking at the file's text again — on
 * the error path only.
 */
import type { FileSpec } from '../engine';
import { CgroupError } from '../errors';

/** Go's %q for the strings that occur here (ASCII text of cgroup files). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

const MAXU64 = (1n << 64n) - 1n;

/** strconv.ParseUint(s, 10, bits): undefined when it parses, else its error message. */
function parseUintError(s: string, bits = 64): string | undefined {
  if (!/^[0-9]+$/.test(s)) {
    return `strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`;
  }
  if (BigInt(s) > (bits === 64 ? MAXU64 : (1n << BigInt(bits)) - 1n)) {
    return `strconv.ParseUint: parsing ${goQuote(s)}: value out of range`;
  }
  return undefined;
}

/** fscommon.ParseUint: strconv.ParseUint, except that a negative integer is 0. */
function goParseUintError(s: string): string | undefined {
  const e = parseUintError(s);
  if (e === undefined) return undefined;
  if (/^-[0-9]+$/.test(s)) return undefined;
  return e;
}

/** strconv.ParseFloat(s, 64), approximately: undefined when it parses. */
function parseFloatError(s: string): string | undefined {
  const ok = /^[+-]?(inf|infinity|nan)$/i.test(s) ||
    /^[+-]?(([0-9](_?[0-9])*)?\.?([0-9](_?[0-9])*)?([eE][+-]?[0-9]+)?)$/.test(s) && /[0-9]/.test(s) ||
    /^[+-]?0[xX]([0-9a-fA-F_]*\.?[0-9a-fA-F_]*)[pP][+-]?[0-9]+$/.test(s);
  if (ok) {
    const v = Number(s.replace(/_/g, ''));
    if (Number.isFinite(v) || /inf/i.test(s)) return undefined;
    if (!Number.isNaN(v)) return `strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`;
    if (/nan/i.test(s)) return undefined;
  }
  return `strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`;
}

/** bufio.Scanner's lines: split at '\n', one trailing '\r' dropped, no final empty line. */
function scannerLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** The library's reason for a file the native parser called malformed (or empty), or undefined if not recognised. */
export function diagnose(spec: FileSpec, text: string): string | undefined {
  switch (spec.format) {
    case 'single': {
      const s = text.trim();
      if (s === 'max') return undefined;
      return goParseUintError(s);
    }
    case 'flatKeyed':
      for (const line of scannerLines(text)) {
        const sp = line.indexOf(' ');
        const key = sp < 0 ? line : line.slice(0, sp);
        const val = sp < 0 ? '' : line.slice(sp + 1);
        if (sp < 0 || key === '' || val === '') return `line ${goQuote(line)} is not in "key value" format`;
        const e = goParseUintError(val);
        if (e !== undefined) return e;
      }
      return undefined;
    case 'keyLookup':
      for (const key of spec.keys ?? []) {
        const line = text.split('\n').find((l) => l.startsWith(key + ' '));
        if (line !== undefined) {
          const e = goParseUintError(line.slice(key.length + 1));
          if (e !== undefined) return e;
        }
      }
      return undefined;
    case 'list':
      for (const tok of text.split(/\s+/).filter(Boolean)) {
        const e = parseUintError(tok);
        if (e !== undefined) return e;
      }
      return undefined;
    case 'cpuset': {
      const s = text.trim();
      if (s === '') return 'empty file';
      for (const part of s.split(',')) {
        const dash = part.indexOf('-');
        const nums = dash < 0 ? [part] : [part.slice(0, dash), part.slice(dash + 1)];
        for (const n of nums) {
          const e = parseUintError(n, 16);
          if (e !== undefined) return e;
        }
        if (dash >= 0 && Number(nums[0]) > Number(nums[1])) return 'invalid values, from > to';
      }
      return undefined;
    }
    case 'psi':
      for (const line of scannerLines(text)) {
        const parts = line.split(/[ \t\n\v\f\r]+/).filter(Boolean);
        if (parts[0] !== 'some' && parts[0] !== 'full') continue;
        for (const tok of parts.slice(1)) {
          const eq = tok.indexOf('=');
          if (eq < 0) return `invalid psi data: ${goQuote(tok)}`;
          const key = tok.slice(0, eq);
          const val = tok.slice(eq + 1);
          let e: string | undefined;
          if (key === 'total') e = parseUintError(val);
          else if (key === 'avg10' || key === 'avg60' || key === 'avg300') e = parseFloatError(val);
          if (e !== undefined) return `invalid ${key} PSI value: ${e}`;
        }
      }
      return undefined;
    case 'cpuacctStat': {
      const f = text.split(/\s+/).filter(Boolean);
      if (f.length < 4 || f[0] !== 'user' || f[2] !== 'system') return `malformed line: ${text}`;
      return parseUintError(f[1]!) ?? parseUintError(f[3]!);
    }
    case 'ioStat':
      for (const line of text.split('\n')) {
        const parts = line.split(/\s+/).filter(Boolean);
        if (parts.length < 2) continue;
        const dev = parts[0]!.split(':');
        if (dev.length !== 2) continue;
        const e = parseUintError(dev[0]!) ?? parseUintError(dev[1]!);
        if (e !== undefined) return e;
        for (const tok of parts.slice(1)) {
          const kv = tok.split('=');
          if (kv.length !== 2 || !(spec.keys ?? []).includes(kv[0]!)) continue;
          const ve = parseUintError(kv[1]!);
          if (ve !== undefined) return ve;
        }
      }
      return undefined;
    case 'blkio':
      for (const line of scannerLines(text)) {
        const f = line.split(/[ :]+/).filter(Boolean);
        if (f.length < 3) {
          if (f.length === 2 && f[0] === 'Total') continue;
          return `malformed line: ${line}`;
        }
        const e = parseUintError(f[0]!) ?? parseUintError(f[1]!) ?? parseUintError(f[f.length === 4 ? 3 : 2]!);
        if (e !== undefined) return e;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Go's `%+v` of an error slice: `[e1 e2 ...]`. */
export function v2StatsError(errors: readonly CgroupError[]): CgroupError {
  const first = errors[0]!;
  const err = new CgroupError(`error while statting cgroup v2: [${errors.map((e) => e.message).join(' ')}]`, {
    code: first.code, cause: first,
    ...(first.path !== undefined ? { path: first.path } : {}),
  });
  return err;
}
