/**
 * The text exposition of a sweep: Prometheus text format 0.0.4 or OpenMetrics 1.0.0, cAdvisor's families
 * (families.ts), one series per registered cgroup (labels and values: series.ts) — or, for the families per device or
 * interface, one per entry of the row in the sweep's vector store (`device="…"`/`interface="…"` after the row's
 * labels; a row label of that name is left out of those series). No timestamps.
 *
 * An ExpositionRenderer renders into pooled byte chunks (chunks.ts), never one whole-exposition string, and keeps
 * each row's label text between sweeps (rebuilt when the row's path or labels object changes: the collector gives a
 * row a new labels object whenever its labels or its cgroup identity change). `render()` works in slices and yields
 * to the event loop between them (and waits while its consumer, e.g. gzip, asks it to); `renderSync()` does it all
 * at once. renderMetrics() is the one-call string form.
 *
 * A render given SectionHooks (the server's gzip bodies) hands each family on as a section of its own chunks, and
 * first checks whether the family's text would be the one it rendered last time (the same rows with the same label
 * texts, the same values present): then the consumer may put in what it kept of that text (its deflate bytes)
 * instead, and the family is not rendered at all.
 */
import { performance } from 'node:perf_hooks';
import { StatsCollector } from '../collector/collector';
import { Sweep, type Labels } from '../collector/sweep';
import type { KeyTable } from '../collector/vectors';
import { invalidArg } from '../errors';
import { writeBytes, writeNumber } from './bytes';
import { ChunkPool, ChunkWriter } from './chunks';
import { familyName, type Family, type SampleSpec } from './families';
import { FIELD_COUNT, ROW_STATUS } from '../collector/layout';
import { escapeHelp, escapeValue, formatValue, labelName, sampleValue, seriesLabels, transformNumber } from './series';
import { labelFilter, selectFamilies, type Selection } from './selection';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export interface RenderOptions extends Selection {
  /** Default 'prometheus' (text/plain; version=0.0.4). */
  format?: ExpositionFormat;
  /** Constant labels added to every series (e.g. `{ instance: 'node1' }`); a cgroup's own labels win. */
  labels?: Labels;
}

export const CONTENT_TYPE: Record<ExpositionFormat, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Text is handed to the chunk writer in batches of about this many characters. */
const BATCH = 8192;
/** Lines written as bytes between two checks whether a slice is over. */
const ROWS_PER_CHECK = 32;
/** Default longest slice of an async render between two yields to the event loop (ms). */
export const DEFAULT_SLICE_MS = 5;

interface SamplePlan {
  spec: SampleSpec;
  /** head and tail are all ASCII. */
  ascii: boolean;
  /** `name{` */
  head: string;
  /** The spec's own labels, then `} `. */
  tail: string;
  /** head and tail as UTF-8 bytes. */
  headBytes: Buffer;
  tailBytes: Buffer;
}

interface FamilyPlan {
  family: Family;
  header: string;
  ascii: boolean;
  samples: SamplePlan[];
}

interface LabelText {
  text: string;
  /** The text is all ASCII (written as latin1, its length its byte count). */
  ascii: boolean;
  /** The text as UTF-8 bytes, made on first use by the byte path. */
  bytes?: Buffer;
}

interface CachedPrefix extends LabelText {
  labels: Labels;
  seen: number;
  /** The text for a vector family with this entry label: the text itself, or without a row label of that name. */
  vector?: Map<string, LabelText>;
}

/** An entry key's label text, made and kept the first time it is written. */
function keyText(keys: KeyTable, key: number, texts: Array<LabelText | undefined>): LabelText {
  const text = `,${keys.label}="${escapeValue(keys.names[key]!)}"`;
  const t = { text, ascii: ASCII.test(text) };
  texts[key] = t;
  return t;
}

/** A row's label text for a vector family, and an entry key's `,label="value"` (the texts of one KeyTable). */
type VectorPrefix = (row: number, label: string) => LabelText;
type KeyTexts = (keys: KeyTable) => Array<LabelText | undefined>;

const NO_LABELS: Labels = Object.freeze({});

/** `k="v",…` of label pairs (values escaped). */
function textOf(pairs: Array<[string, string]>): LabelText {
  const text = pairs.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',');
  return { text, ascii: ASCII.test(text) };
}
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

export interface RenderCounts {
  /** Renders started. */
  renders: number;
  /** Row label texts built (the rest came from the cache). */
  prefixBuilds: number;
  /** Families not rendered because the consumer put in what it kept of their unchanged text (SectionHooks). */
  sectionsReused: number;
}

/**
 * A consumer that keeps what it made of a family's text (e.g. its deflate bytes) and can put it in again while the
 * text is unchanged. Each family is one section: its text comes in chunks of its own (the writer is cut at its end).
 */
export interface SectionHooks {
  /**
   * The family `index` (of the renderer's `families`) would render the text it rendered when stamped `stamp`: true
   * when the consumer put in what it kept of that text (the family is then not rendered).
   */
  reuse(index: number, stamp: number): boolean;
  /** The family's text starts: its chunks follow. */
  begin(index: number): void;
  /** Its chunks were all handed on. `stamp` names its text (undefined: a family that is never reused). */
  end(index: number, stamp: number | undefined): void;
}

/** What a family's text was rendered from last time (rows, their label texts, its values), under a stamp. */
interface Snapshot {
  stamp: number;
  version: number;
  /** The row set (rowsStamp) of that render. */
  rows: number;
  /** Per row × sample of the family: present, and the value (when present). */
  has: Uint8Array;
  values: Float64Array;
}

/** Whether a family's text is the one last stamped (`same`), and its stamp (undefined: never reused). */
interface Stamp {
  stamp: number | undefined;
  same: boolean;
}

/** One render of one sweep, resumable between slices. */
class RenderJob {
  private fi = 0;
  private si = 0;
  private row = 0;
  private header = false;
  /** The current family's section has begun (SectionHooks), under this stamp. */
  private open = false;
  private stamp: number | undefined;
  done = false;

  constructor(
    private readonly plans: readonly FamilyPlan[],
    private readonly sweep: Sweep,
    private readonly prefix: (row: number) => CachedPrefix,
    private readonly vectorPrefix: VectorPrefix,
    private readonly keyTexts: KeyTexts,
    private readonly writer: ChunkWriter,
    private readonly openMetrics: boolean,
    /** More families after the sweep's (cgmgr's own metrics), before OpenMetrics' `# EOF`. */
    private readonly trailer: string = '',
    private readonly sections?: SectionHooks,
    private readonly stampOf?: (family: number) => Stamp,
    private readonly reused?: () => void,
  ) {}

  /** Stops for good: the chunk being written goes back to the pool unsent. */
  abandon(): void {
    this.writer.abandon();
    this.done = true;
  }

  /** Renders until done (true), or until `stop()` says so at a batch boundary (false). */
  step(stop: () => boolean): boolean {
    const { sweep, prefix, writer } = this;
    const rows = sweep.rows;
    const sections = this.sections;
    while (this.fi < this.plans.length) {
      const f = this.plans[this.fi]!;
      if (sections !== undefined && !this.open) {
        const { stamp, same } = this.stampOf!(this.fi);
        if (same && stamp !== undefined && sections.reuse(this.fi, stamp)) {
          this.reused?.();
          this.fi++;
          if (stop()) return false;
          continue;
        }
        this.stamp = stamp;
        this.open = true;
        sections.begin(this.fi);
      }
      while (this.si < f.samples.length) {
        const p = f.samples[this.si]!;
        const s = p.spec;
        if (s.versions === undefined || s.versions.includes(sweep.version)) {
          let text = '';
          let ascii = p.ascii;
          // Number sweeps inline what sampleValue() does (the hot loop of a render); bigint sweeps go through it.
          const numbers = sweep.bigint ? undefined : (sweep.values as Float64Array);
          const { present, status } = sweep;
          const plain = s.divisor === undefined && s.transform === undefined;
          const vec = s.vector;
          const store = vec === undefined ? undefined : sweep[vec.store];
          const keyTexts = store === undefined ? undefined : this.keyTexts(store.keys);
          if (numbers !== undefined && store === undefined) {
            // The hot path (a number sweep, one sample per row): each line is written as bytes straight into the
            // chunk — the spec's head, the row's cached label bytes, the tail, the value's digits — no strings.
            const { headBytes, tailBytes } = p;
            const fixed = headBytes.length + tailBytes.length + 26; // a value is at most 25 characters, then '\n'
            let n = 0;
            while (this.row < rows) {
              const row = this.row++;
              const st = status[row];
              if (st !== ROW_STATUS.ok && st !== ROW_STATUS.error && st !== ROW_STATUS.final) continue;
              const i = row * FIELD_COUNT + s.field;
              if (present[i] !== 1) continue;
              const x = plain ? numbers[i]! : transformNumber(numbers[i]!, s);
              if (x === undefined) continue;
              if (!this.header) {
                writer.write(f.header, f.ascii);
                this.header = true;
              }
              const e = prefix(row);
              const pb = (e.bytes ??= Buffer.from(e.text, 'utf8'));
              if (writer.reserve(fixed + pb.length)) {
                const b = writer.buf;
                let off = writeBytes(b, writer.off, headBytes);
                off = writeBytes(b, off, pb);
                off = writeBytes(b, off, tailBytes);
                off = writeNumber(b, off, x);
                b[off++] = 10;
                writer.commit(off);
              } else {
                writer.write(`${p.head}${e.text}${p.tail}${formatValue(x)}\n`, p.ascii && e.ascii);
              }
              if (++n >= ROWS_PER_CHECK) {
                n = 0;
                if (stop()) return false;
              }
            }
            this.si++;
            this.row = 0;
            continue;
          }
          let lines = 0;
          while (this.row < rows) {
            const row = this.row++;
            const st = status[row];
            if (st !== ROW_STATUS.ok && st !== ROW_STATUS.error && st !== ROW_STATUS.final) continue;
            if (store !== undefined) {
              // One sample per entry of the row (device, interface): the row's labels, then the entry's — written as
              // bytes like the hot path below (the entry values are numbers in every sweep).
              const to = store.to(row);
              let pb: Buffer | undefined;
              let pe: LabelText | undefined;
              for (let e = store.from(row); e < to; e++) {
                const x = store.values[e * store.width + vec!.column]!;
                if (Number.isNaN(x)) continue;
                if (!this.header) {
                  writer.write(f.header, f.ascii);
                  this.header = true;
                }
                if (pe === undefined) {
                  pe = this.vectorPrefix(row, vec!.label);
                  pb = pe.bytes ??= Buffer.from(pe.text, 'utf8');
                }
                const key = store.key[e]!;
                const k = keyTexts![key] ?? keyText(store.keys, key, keyTexts!);
                const kb = (k.bytes ??= Buffer.from(k.text, 'utf8'));
                if (writer.reserve(p.headBytes.length + pb!.length + kb.length + p.tailBytes.length + 26)) {
                  const b = writer.buf;
                  let off = writeBytes(b, writer.off, p.headBytes);
                  off = writeBytes(b, off, pb!);
                  off = writeBytes(b, off, kb);
                  off = writeBytes(b, off, p.tailBytes);
                  off = writeNumber(b, off, x);
                  b[off++] = 10;
                  writer.commit(off);
                } else {
                  writer.write(
                    `${p.head}${pe.text}${k.text}${p.tail}${formatValue(x)}\n`,
                    p.ascii && pe.ascii && k.ascii,
                  );
                }
                lines++;
              }
              if (lines >= ROWS_PER_CHECK) {
                lines = 0;
                if (stop()) return false;
              }
              continue;
            }
            let v: string | undefined;
            if (numbers !== undefined) {
              const i = row * FIELD_COUNT + s.field;
              if (present[i] !== 1) continue;
              const x = plain ? numbers[i]! : transformNumber(numbers[i]!, s);
              if (x === undefined) continue;
              v = formatValue(x);
            } else {
              v = sampleValue(sweep, row, s);
              if (v === undefined) continue;
            }
            if (!this.header) {
              text += f.header;
              ascii &&= f.ascii;
              this.header = true;
            }
            const e = prefix(row);
            ascii &&= e.ascii;
            text += `${p.head}${e.text}${p.tail}${v}\n`;
            if (text.length >= BATCH) {
              writer.write(text, ascii);
              text = '';
              ascii = p.ascii;
              if (stop()) return false;
            }
          }
          writer.write(text, ascii);
        }
        this.si++;
        this.row = 0;
      }
      if (sections !== undefined) {
        writer.cut();
        this.open = false;
        sections.end(this.fi, this.stamp);
      }
      this.fi++;
      this.si = 0;
      this.header = false;
    }
    if (this.trailer !== '') writer.write(this.trailer, ASCII.test(this.trailer));
    if (this.openMetrics) writer.write('# EOF\n');
    writer.end();
    this.done = true;
    return true;
  }
}

export class ExpositionRenderer {
  readonly format: ExpositionFormat;
  readonly families: readonly Family[];
  readonly counts: RenderCounts = { renders: 0, prefixBuilds: 0, sectionsReused: 0 };
  private readonly plans: FamilyPlan[];
  private readonly constant: Labels;
  private readonly keep: ((name: string) => boolean) | undefined;
  private readonly prefixCache = new Map<string, CachedPrefix>();
  /** `,device="…"` per key of each KeyTable (a key's name never changes). */
  private readonly keyTexts = new WeakMap<KeyTable, Array<LabelText | undefined>>();
  /** Per family, what its text was last rendered from (renders with SectionHooks only). */
  private readonly snapshots: Array<Snapshot | undefined> = [];
  private stamps = 0;
  /**
   * The rows of the last render with SectionHooks — path and labels object (the two a row's label text is made from
   * and cached by; undefined: a row not rendered) — and their stamp.
   */
  private lastPaths: Array<string | undefined> = [];
  private lastLabels: Array<Labels | undefined> = [];
  private rowsStamp = 0;

  constructor(
    options: RenderOptions = {},
    readonly pool: ChunkPool = new ChunkPool(),
  ) {
    const format = options.format ?? 'prometheus';
    if (format !== 'prometheus' && format !== 'openmetrics')
      throw invalidArg('format', format, "must be 'prometheus' or 'openmetrics'");
    this.format = format;
    const constant = options.labels ?? {};
    if (constant === null || typeof constant !== 'object')
      throw invalidArg('labels', constant, 'must be an object of strings');
    for (const k of Object.keys(constant)) labelName(k); // an empty name fails now, not in the middle of a render
    this.constant = constant;
    this.keep = labelFilter(options);
    this.families = selectFamilies(options);
    this.plans = this.families.map((f) => {
      const meta = format === 'openmetrics' ? familyName(f) : f.name;
      let header = `# HELP ${meta} ${escapeHelp(f.help)}\n# TYPE ${meta} ${f.type}\n`;
      if (format === 'openmetrics' && f.unit !== undefined) header += `# UNIT ${meta} ${f.unit}\n`;
      return {
        family: f,
        header,
        ascii: ASCII.test(header),
        samples: f.samples.map((spec) => {
          const head = `${f.name}{`;
          const tail = `${
            spec.labels === undefined
              ? ''
              : Object.entries(spec.labels)
                  .map(([k, v]) => `,${k}="${escapeValue(v)}"`)
                  .join('')
          }} `;
          return {
            spec,
            head,
            tail,
            ascii: ASCII.test(head) && ASCII.test(tail),
            headBytes: Buffer.from(head, 'utf8'),
            tailBytes: Buffer.from(tail, 'utf8'),
          };
        }),
      };
    });
  }

  /**
   * Each row's label text (`id="…",name="…",…`), built on first use (so a first render spreads the building over its
   * slices) and cached while the row's path and labels object are unchanged.
   */
  private prefixes(sweep: Sweep): (row: number) => CachedPrefix {
    const mark = ++this.counts.renders;
    const cache = this.prefixCache;
    const texts = new Array<CachedPrefix | undefined>(sweep.rows);
    if (cache.size > 2 * sweep.rows + 64) {
      // Rows gone since: drop what the last render did not use.
      for (const [k, e] of cache) if (e.seen < mark - 1) cache.delete(k);
    }
    return (row) => {
      let e = texts[row];
      if (e !== undefined) return e;
      const path = sweep.paths[row]!;
      const labels = sweep.labels[row] ?? NO_LABELS;
      e = cache.get(path);
      if (e === undefined || e.labels !== labels) {
        const text = seriesLabels(sweep, row, this.constant, this.keep)
          .map(([k, v]) => `${k}="${escapeValue(v)}"`)
          .join(',');
        e = { labels, text, ascii: ASCII.test(text), seen: mark };
        cache.set(path, e);
        this.counts.prefixBuilds++;
      }
      e.seen = mark;
      texts[row] = e;
      return e;
    };
  }

  /** The row's label text without `label` when the row has a label of that name (else the row's text). */
  private vectorPrefixes(sweep: Sweep, prefix: (row: number) => CachedPrefix): VectorPrefix {
    return (row, label) => {
      const e = prefix(row);
      e.vector ??= new Map();
      let w = e.vector.get(label);
      if (w === undefined) {
        // A '"' inside a value is escaped, so `,<label>="` in the text is a label boundary: the row has that label.
        w = e.text.includes(`,${label}="`)
          ? textOf(seriesLabels(sweep, row, this.constant, this.keep).filter(([k]) => k !== label))
          : e;
        e.vector.set(label, w);
      }
      return w;
    };
  }

  private keyTextsOf: KeyTexts = (keys) => {
    let texts = this.keyTexts.get(keys);
    if (texts === undefined) {
      texts = [];
      this.keyTexts.set(keys, texts);
    }
    return texts;
  };

  /**
   * Stamps the sweep's row set: the same rows rendered, in the same order, with the same paths and labels objects
   * (so the same label texts: the collector gives a row a new labels object whenever its labels change) as last time,
   * or not. No label text is built here (a first render builds them in its slices).
   */
  private stampRows(sweep: Sweep): void {
    const n = sweep.rows;
    const paths = new Array<string | undefined>(n);
    const labels = new Array<Labels | undefined>(n);
    const lp = this.lastPaths;
    const ll = this.lastLabels;
    let same = lp.length === n;
    for (let row = 0; row < n; row++) {
      const st = sweep.status[row];
      if (st === ROW_STATUS.ok || st === ROW_STATUS.error || st === ROW_STATUS.final) {
        paths[row] = sweep.paths[row];
        labels[row] = sweep.labels[row] ?? NO_LABELS;
      }
      if (same && (lp[row] !== paths[row] || ll[row] !== labels[row])) same = false;
    }
    this.lastPaths = paths;
    this.lastLabels = labels;
    if (!same) this.rowsStamp = ++this.stamps;
  }

  /**
   * Whether family fi of this sweep renders the text it rendered last time (the same rows, sweep version and values
   * present), recording this sweep's values for the next time; its stamp is renewed whenever it changed.
   */
  private stampOf(fi: number, sweep: Sweep): Stamp {
    const plan = this.plans[fi]!;
    if (sweep.bigint || plan.samples.some((p) => p.spec.vector !== undefined)) return { stamp: undefined, same: false };
    const numbers = sweep.values as Float64Array;
    const { present } = sweep;
    const rows = this.lastPaths;
    const n = plan.samples.length;
    let snap = this.snapshots[fi];
    let same = snap !== undefined && snap.version === sweep.version && snap.rows === this.rowsStamp;
    if (snap === undefined || snap.has.length < rows.length * n) {
      const size = Math.max(sweep.capacity, rows.length) * n;
      snap = { stamp: 0, version: 0, rows: 0, has: new Uint8Array(size), values: new Float64Array(size) };
      this.snapshots[fi] = snap;
      same = false;
    }
    const { has, values } = snap;
    for (let row = 0; row < rows.length; row++) {
      if (rows[row] === undefined) continue;
      const base = row * FIELD_COUNT;
      for (let k = 0; k < n; k++) {
        const j = row * n + k;
        const i = base + plan.samples[k]!.spec.field;
        const h = present[i]!;
        if (h !== has[j]) {
          same = false;
          has[j] = h;
        }
        if (h === 1 && numbers[i] !== values[j]) {
          same = false;
          values[j] = numbers[i]!;
        }
      }
    }
    snap.version = sweep.version;
    snap.rows = this.rowsStamp;
    if (!same) snap.stamp = ++this.stamps;
    return { stamp: snap.stamp, same };
  }

  private job(sweep: Sweep, emit: (chunk: Buffer) => void, trailer = '', sections?: SectionHooks): RenderJob {
    if (!(sweep instanceof Sweep)) throw invalidArg('source', sweep, 'must be a Sweep');
    const prefix = this.prefixes(sweep);
    let rowsStamped = false;
    const stampOf =
      sections === undefined
        ? undefined
        : (fi: number): Stamp => {
            if (!rowsStamped) {
              this.stampRows(sweep);
              rowsStamped = true;
            }
            return this.stampOf(fi, sweep);
          };
    return new RenderJob(
      this.plans,
      sweep,
      prefix,
      this.vectorPrefixes(sweep, prefix),
      this.keyTextsOf,
      new ChunkWriter(this.pool, emit),
      this.format === 'openmetrics',
      trailer,
      sections,
      stampOf,
      () => this.counts.sectionsReused++,
    );
  }

  /** The whole exposition at once, as chunks (give them back to `pool` when done with them). */
  renderSync(sweep: Sweep): Buffer[] {
    const chunks: Buffer[] = [];
    this.job(sweep, (c) => chunks.push(c)).step(() => false);
    return chunks;
  }

  /**
   * The exposition in slices of at most about `sliceMs` of work, yielding to the event loop between them; every
   * chunk goes to `emit` as soon as it is full. While `paused()` is true (a consumer's back-pressure) the render
   * waits for `resume` to settle. Resolves with the chunks when no `emit` is given. `trailer` is exposition text
   * written after the sweep's families (before OpenMetrics' `# EOF`): the server's own metrics. When `cancelled()`
   * turns true (checked between slices) the render stops there, unfinished.
   */
  async render(
    sweep: Sweep,
    options: {
      emit?: (chunk: Buffer) => void;
      sliceMs?: number;
      paused?: () => boolean;
      resume?: () => Promise<void>;
      trailer?: string;
      /** Checked between slices: when true the render stops there (its unsent chunk goes back to the pool). */
      cancelled?: () => boolean;
      /** Each family as a section of its own chunks, and not rendered when the consumer puts in its unchanged text. */
      sections?: SectionHooks;
    } = {},
  ): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    const emit = options.emit ?? ((c: Buffer) => chunks.push(c));
    const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    const paused = options.paused ?? (() => false);
    const cancelled = options.cancelled ?? (() => false);
    const job = this.job(sweep, emit, options.trailer, options.sections);
    for (;;) {
      const until = performance.now() + sliceMs;
      if (job.step(() => paused() || performance.now() >= until)) return chunks;
      if (cancelled()) {
        job.abandon();
        return chunks;
      }
      if (paused() && options.resume !== undefined) await options.resume();
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

const sharedPool = new ChunkPool(undefined, 64);

/**
 * The exposition of a sweep (or of a fresh synchronous sweep of a collector) as one string. OpenMetrics ends with
 * `# EOF`. For large sweeps prefer an ExpositionRenderer (chunks, async) or the server.
 */
export function renderMetrics(source: Sweep | StatsCollector, options: RenderOptions = {}): string {
  const renderer = new ExpositionRenderer(options, sharedPool);
  let sweep: Sweep;
  if (source instanceof StatsCollector) sweep = source.collect();
  else if (source instanceof Sweep) sweep = source;
  else throw invalidArg('source', source, 'must be a Sweep or a StatsCollector');
  const chunks = renderer.renderSync(sweep);
  const text = Buffer.concat(chunks).toString('utf8');
  for (const c of chunks) sharedPool.give(c);
  return text;
}
