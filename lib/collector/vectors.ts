/**
 * A sweep's side store for figures with a variable number of labelled entries per row: io per device (`device`
 * label) and network per interface (`interface` label). Per row a range of entries [start[row], start[row + 1]), each
 * entry a key (an index into the collector's KeyTable: the label value) and `columns.length` values (NaN = absent).
 *
 * A sweep refilled with `collect({ into })` reuses the arrays: they grow (doubling) only when a sweep has more entries
 * than any before, so a steady sweep allocates nothing here. Values are doubles in both sweep modes (the exposition
 * writes doubles; a counter above 2^53 loses its last bits, as cAdvisor's float64).
 */

/** The columns of each vector, in entry order. */
export const IO_COLUMNS = ['read_bytes', 'write_bytes', 'read_ops', 'write_ops'] as const;
export const NETWORK_COLUMNS = [
  'receive_bytes',
  'receive_packets',
  'receive_errors',
  'receive_dropped',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errors',
  'transmit_dropped',
] as const;
export type IoColumn = (typeof IO_COLUMNS)[number];
export type NetworkColumn = (typeof NETWORK_COLUMNS)[number];

/**
 * The label values entries are keyed by (device names, interface names), interned once per collector and never
 * changed: key k is `names[k]` for the collector's life, so a renderer may cache text per key.
 */
export class KeyTable {
  readonly names: string[] = [];
  private readonly byNumber = new Map<number, number>();
  private readonly byName = new Map<string, number>();

  /** @param label The label the names are the values of (`device`, `interface`). */
  constructor(readonly label: string) {}

  /** The key of a numeric id (a device's major:minor), naming it with `nameOf` the first time. */
  ofNumber(n: number, nameOf: () => string): number {
    let k = this.byNumber.get(n);
    if (k === undefined) {
      k = this.ofName(nameOf());
      this.byNumber.set(n, k);
    }
    return k;
  }

  /** The key of a numeric id already named, or -1. */
  findNumber(n: number): number {
    return this.byNumber.get(n) ?? -1;
  }

  /** The key of a name. */
  ofName(name: string): number {
    let k = this.byName.get(name);
    if (k === undefined) {
      k = this.names.length;
      this.names.push(name);
      this.byName.set(name, k);
    }
    return k;
  }

  get size(): number {
    return this.names.length;
  }
}

export class VectorStore {
  /** Entries of row r: [start[r], start[r + 1]). */
  start: Int32Array;
  /** The key (KeyTable index) of each entry. */
  key: Int32Array;
  /** Values, entry-major: `values[entry * width + column]`; NaN where absent. */
  values: Float64Array;
  /** Entries filled. */
  length = 0;
  readonly width: number;

  constructor(
    public keys: KeyTable,
    readonly columns: readonly string[],
    rows: number,
    entries = Math.max(16, rows),
  ) {
    this.width = columns.length;
    this.start = new Int32Array(rows + 1);
    this.key = new Int32Array(Math.max(16, entries));
    this.values = new Float64Array(this.key.length * this.width);
  }

  /** Starts a sweep. */
  reset(): void {
    this.length = 0;
    this.start[0] = 0;
  }

  /** Closes row `row` (rows are filled in order; a row with no entries is closed too). */
  endRow(row: number): void {
    this.start[row + 1] = this.length;
  }

  /**
   * The entry of `key` in the row being filled (from `rowStart`): the existing one, or a new one with every value NaN.
   */
  entry(rowStart: number, key: number): number {
    for (let e = rowStart; e < this.length; e++) if (this.key[e] === key) return e;
    if (this.length === this.key.length) this.grow();
    const e = this.length++;
    this.key[e] = key;
    this.values.fill(NaN, e * this.width, (e + 1) * this.width);
    return e;
  }

  private grow(): void {
    const key = new Int32Array(Math.max(16, this.key.length * 2));
    key.set(this.key);
    const values = new Float64Array(key.length * this.width);
    values.set(this.values);
    this.key = key;
    this.values = values;
  }

  /** Entries of a row. */
  from(row: number): number {
    return this.start[row]!;
  }

  to(row: number): number {
    return this.start[row + 1]!;
  }

  /** The value of one column of one label value in a row, or undefined when there is none. */
  get(row: number, name: string, column: string): number | undefined {
    const c = this.columns.indexOf(column);
    if (c < 0) return undefined;
    for (let e = this.from(row); e < this.to(row); e++) {
      if (this.keys.names[this.key[e]!] === name) {
        const x = this.values[e * this.width + c]!;
        return Number.isNaN(x) ? undefined : x;
      }
    }
    return undefined;
  }

  /** A row's entries as plain objects (for printing): label value -> column -> value (absent values left out). */
  row(row: number): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (let e = this.from(row); e < this.to(row); e++) {
      const o: Record<string, number> = {};
      for (let c = 0; c < this.width; c++) {
        const x = this.values[e * this.width + c]!;
        if (!Number.isNaN(x)) o[this.columns[c]!] = x;
      }
      out[this.keys.names[this.key[e]!]!] = o;
    }
    return out;
  }
}
