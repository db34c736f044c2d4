/**
 * One series of the exposition: its labels (cAdvisor's `id` = the cgroup path, `name` = the `name` label given at
 * add() or empty, then the cgroup's other labels and the caller's constant labels, sorted; names sanitised, values
 * escaped) and its sample value (absent values are none, never 0; rows that were not read have none).
 */
import { FIELD_COUNT, ROW_STATUS } from '../collector/layout';
import type { Sweep, Labels } from '../collector/sweep';
import { invalidArg } from '../errors';
import type { SampleSpec } from './families';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SPEC_LIMIT_MAX = 2 ** 62;

/** A label name made valid (invalid characters become `_`, as Prometheus sanitises), or an error for an empty one. */
export function labelName(name: string): string {
  if (LABEL_NAME.test(name)) return name;
  if (name.length === 0) throw invalidArg('labels', name, 'label names must not be empty');
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

export function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the exposition writes it (Go's float formatting for the special values). */
export function formatValue(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  return String(x);
}

/** The labels of a row's series, in order: id, name, then the others sorted (constant ones under the row's own). */
export function seriesLabels(
  sweep: Sweep,
  row: number,
  constant: Labels,
  keep?: (name: string) => boolean,
): Array<[string, string]> {
  const own = sweep.labels[row] ?? {};
  const merged = new Map<string, string>();
  for (const [k, v] of Object.entries(constant)) merged.set(labelName(k), String(v));
  for (const [k, v] of Object.entries(own)) merged.set(labelName(k), String(v));
  merged.delete('id');
  const name = merged.get('name') ?? '';
  merged.delete('name');
  const out: Array<[string, string]> = [['id', sweep.paths[row]!]];
  if (keep === undefined || keep('name')) out.push(['name', name]);
  for (const k of [...merged.keys()].sort()) if (keep === undefined || keep(k)) out.push([k, merged.get(k)!]);
  return out;
}

/** The sample value of a spec in a row as text, or undefined when there is none to expose. */
export function sampleValue(sweep: Sweep, row: number, s: SampleSpec): string | undefined {
  const i = row * FIELD_COUNT + s.field;
  if (sweep.present[i] !== 1) return undefined;
  const raw = sweep.values[i]!;
  if (typeof raw === 'bigint' && s.divisor === undefined && s.transform === undefined) {
    return raw === 0xffffffffffffffffn ? '+Inf' : raw.toString();
  }
  const x = sampleNumber(sweep, row, s);
  return x === undefined ? undefined : formatValue(x);
}

/**
 * Rows that were read: ok, or with some files failed (their columns are absent, the others are exposed), or the last
 * sample of a cgroup that emptied and went (exposed in this one scrape, then its series end).
 */
export function readRow(sweep: Sweep, row: number): boolean {
  const st = sweep.status[row];
  return st === ROW_STATUS.ok || st === ROW_STATUS.error || st === ROW_STATUS.final;
}

/** The sample value of a spec in a row as a number, or undefined when there is none to expose. */
export function sampleNumber(sweep: Sweep, row: number, s: SampleSpec): number | undefined {
  const i = row * FIELD_COUNT + s.field;
  if (sweep.present[i] !== 1 || !readRow(sweep, row)) return undefined;
  if (s.versions !== undefined && !s.versions.includes(sweep.version)) return undefined;
  const raw = sweep.values[i]!;
  return transformNumber(typeof raw === 'bigint' ? (raw === 0xffffffffffffffffn ? Infinity : Number(raw)) : raw, s);
}

/** A present column value as the spec exposes it (divided, transformed), or undefined when it exposes none. */
export function transformNumber(value: number, s: SampleSpec): number | undefined {
  let x = value;
  if (s.divisor !== undefined) x /= s.divisor;
  switch (s.transform) {
    case 'specLimit':
      if (!(x <= SPEC_LIMIT_MAX)) x = 0;
      break;
    case 'zeroIfUnlimited':
      if (x === Infinity) x = 0;
      break;
    case 'finitePositive':
      if (!(Number.isFinite(x) && x > 0)) return undefined;
      break;
    case 'unixSeconds':
      x = Math.floor(x / 1000);
      break;
    default:
  }
  return x;
}
