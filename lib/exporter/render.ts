/**
 * The text exposition of a sweep: Prometheus text format 0.0.4 or OpenMetrics 1.0.0, cAdvisor's families
 * (families.ts), one series per registered cgroup with cAdvisor's labels: `id` (the cgroup path), `name` (the `name`
 * label given at add(), or empty), then the cgroup's other labels and the caller's constant labels, sorted.
 * Absent values are left out (never exposed as 0); rows that are not ok are left out. No timestamps.
 */
import { StatsCollector } from '../collector/collector';
import { FIELD_COUNT, ROW_STATUS } from '../collector/layout';
import { Sweep, type Labels } from '../collector/sweep';
import { invalidArg } from '../errors';
import { FAMILIES, familyName, type Family, type SampleSpec } from './families';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export interface RenderOptions {
  /** Default 'prometheus' (text/plain; version=0.0.4). */
  format?: ExpositionFormat;
  /** Constant labels added to every series (e.g. `{ instance: 'node1' }`); a cgroup's own labels win. */
  labels?: Labels;
  /** Only these families (sample names); default all. */
  families?: readonly string[];
}

export const CONTENT_TYPE: Record<ExpositionFormat, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SPEC_LIMIT_MAX = 2 ** 62;

/** A label name made valid (invalid characters become `_`, as Prometheus sanitises), or an error for an empty one. */
function labelName(name: string): string {
  if (LABEL_NAME.test(name)) return name;
  if (name.length === 0) throw invalidArg('labels', name, 'label names must not be empty');
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the exposition writes it (Go's float formatting for the special values). */
function formatValue(x: number): string {
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  return String(x);
}

/** The labels of a row's series, in order: id, name, then the others sorted (constant ones under the row's own). */
export function seriesLabels(sweep: Sweep, row: number, constant: Labels): Array<[string, string]> {
  const own = sweep.labels[row] ?? {};
  const merged = new Map<string, string>();
  for (const [k, v] of Object.entries(constant)) merged.set(labelName(k), String(v));
  for (const [k, v] of Object.entries(own)) merged.set(labelName(k), String(v));
  merged.delete('id');
  const name = merged.get('name') ?? '';
  merged.delete('name');
  const out: Array<[string, string]> = [['id', sweep.paths[row]!], ['name', name]];
  for (const k of [...merged.keys()].sort()) out.push([k, merged.get(k)!]);
  return out;
}

/** The series labels of each row, once per render: `id="…",name="…",…` (without braces). */
function rowLabels(sweep: Sweep, constant: Labels): string[] {
  const out: string[] = [];
  for (let row = 0; row < sweep.rows; row++) {
    out.push(seriesLabels(sweep, row, constant).map(([k, v]) => `${k}="${escapeValue(v)}"`).join(','));
  }
  return out;
}

/** The sample value of a spec in a row as text, or undefined when there is none to expose. */
function sampleValue(sweep: Sweep, row: number, s: SampleSpec): string | undefined {
  const i = row * FIELD_COUNT + s.field;
  if (sweep.present[i] !== 1) return undefined;
  const raw = sweep.values[i]!;
  if (typeof raw === 'bigint' && s.divisor === undefined && s.transform === undefined) {
    return raw === 0xffffffffffffffffn ? '+Inf' : raw.toString();
  }
  const x = sampleNumber(sweep, row, s);
  return x === undefined ? undefined : formatValue(x);
}

/** Rows that were read: ok, or with some files failed (their columns are absent, the others are exposed). */
function readRow(sweep: Sweep, row: number): boolean {
  return sweep.status[row] === ROW_STATUS.ok || sweep.status[row] === ROW_STATUS.error;
}

/** The sample value of a spec in a row as a number, or undefined when there is none to expose. */
export function sampleNumber(sweep: Sweep, row: number, s: SampleSpec): number | undefined {
  const i = row * FIELD_COUNT + s.field;
  if (sweep.present[i] !== 1 || !readRow(sweep, row)) return undefined;
  if (s.versions !== undefined && !s.versions.includes(sweep.version)) return undefined;
  const raw = sweep.values[i]!;
  let x = typeof raw === 'bigint' ? (raw === 0xffffffffffffffffn ? Infinity : Number(raw)) : raw;
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
    default:
  }
  return x;
}

function renderFamily(f: Family, sweep: Sweep, labels: string[], format: ExpositionFormat, out: string[]): void {
  const lines: string[] = [];
  for (const s of f.samples) {
    if (s.versions !== undefined && !s.versions.includes(sweep.version)) continue;
    const extra = s.labels === undefined ? '' : Object.entries(s.labels).map(([k, v]) => `,${k}="${escapeValue(v)}"`).join('');
    for (let row = 0; row < sweep.rows; row++) {
      if (!readRow(sweep, row)) continue;
      const v = sampleValue(sweep, row, s);
      if (v !== undefined) lines.push(`${f.name}{${labels[row]}${extra}} ${v}`);
    }
  }
  if (lines.length === 0) return;
  const meta = format === 'openmetrics' ? familyName(f) : f.name;
  out.push(`# HELP ${meta} ${escapeHelp(f.help)}`, `# TYPE ${meta} ${f.type}`);
  if (format === 'openmetrics' && f.unit !== undefined) out.push(`# UNIT ${meta} ${f.unit}`);
  for (const l of lines) out.push(l);
}

/**
 * The exposition of a sweep (or of a fresh synchronous sweep of a collector). OpenMetrics ends with `# EOF`.
 */
export function renderMetrics(source: Sweep | StatsCollector, options: RenderOptions = {}): string {
  const format = options.format ?? 'prometheus';
  if (format !== 'prometheus' && format !== 'openmetrics') throw invalidArg('format', format, "must be 'prometheus' or 'openmetrics'");
  let sweep: Sweep;
  if (source instanceof StatsCollector) sweep = source.collect();
  else if (source instanceof Sweep) sweep = source;
  else throw invalidArg('source', source, 'must be a Sweep or a StatsCollector');
  const constant = options.labels ?? {};
  if (constant === null || typeof constant !== 'object') throw invalidArg('labels', constant, 'must be an object of strings');
  const wanted = options.families === undefined ? undefined : new Set(options.families);
  const labels = rowLabels(sweep, constant);
  const out: string[] = [];
  for (const f of FAMILIES) if (wanted === undefined || wanted.has(f.name)) renderFamily(f, sweep, labels, format, out);
  if (format === 'openmetrics') out.push('# EOF');
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
