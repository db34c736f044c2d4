/**
 * The contract of a per-controller reader (lib/stats/v1/*, lib/stats/v2/*): which files it needs for the asked-for
 * controllers, and how it turns its part of a batch row into the library's raw stats.
 */
import type { CgroupError } from '../errors';
import type { Layout } from '../hierarchy';
import type { RawStats } from './raw';
import type { FileSpec } from '../engine';
import type { FileSet, Files } from './row';

/** What a plan is built for. */
export interface PlanContext {
  version: 1 | 2;
  layout: Layout;
  /** CONTROLLERS bits. */
  mask: number;
  hugePageSizes: readonly string[];
}

/** What a row is read for. */
export interface ReadContext extends PlanContext {
  /** The cgroup, relative to the hierarchy roots ('' = the root cgroup). */
  path: string;
  procRoot: string;
}

export interface ControllerReader {
  /** Unique within a version; prefixes the reader's file keys in the plan. */
  readonly name: string;
  /** Whether the mask asks for this reader. */
  wants(ctx: PlanContext): boolean;
  /** The files it reads (hierarchies that are not mounted are left out of the plan; their files read as missing). */
  files(ctx: PlanContext): FileSet;
  /**
   * The reader's static files by number (staticFiles): the view it reads through resolves them to the plan once, and
   * the reader asks by number (`f.ok(N.stat)`), with no lookup by name per question.
   */
  readonly fileNames?: readonly string[];
  /**
   * Fills raw from the row, marking the output fields it could not source as absent. Returns the errors the library
   * would return, in its order (a v1 reader returns at most one: the library stops at the first).
   */
  read(f: Files, raw: RawStats, ctx: ReadContext): readonly CgroupError[];
  /** Marks the output fields of this reader absent when it is not asked for. */
  skip(raw: RawStats): void;
}

/** No errors: what a reader that read its files returns (one frozen array, not a new one per read). */
export const NO_ERRORS: readonly CgroupError[] = Object.freeze([]);

/** The reader's first error, or nothing: for v1 readers, which stop where the library returns. */
export function first(err: CgroupError | undefined): readonly CgroupError[] {
  return err === undefined ? NO_ERRORS : [err];
}

/**
 * The key of one of a reader's files in a compiled plan (`<reader>:<file>`, CompiledStats.entries). Obtained only from
 * a reader's `key` (defineReader), so a file renamed in its reader breaks every user at compile time.
 */
export type PlanKey = string & { readonly __planKey: true };

/** A reader whose file names are known to the type system: `reader.key.stat` is the plan key of its `stat` file. */
export type TypedReader<F extends string> = ControllerReader & { readonly key: { readonly [K in F]: PlanKey } };

/** Declares a reader; its `key` gives typed plan keys for the names its `files()` returns. */
export function defineReader<F extends string>(
  r: Omit<ControllerReader, 'files'> & { files(ctx: PlanContext): Record<F, import('../engine').FileSpec> },
): TypedReader<F> {
  const key = new Proxy({}, { get: (_t, k) => `${r.name}:${String(k)}` }) as { readonly [K in F]: PlanKey };
  return Object.assign(r, { key });
}

/**
 * A reader's files when they do not depend on the plan context: `files` for the reader, `fileNames` (their order) and
 * `n`, each file's number to ask the row by (`f.value(n.stat, 0)`). The numbers follow the object's key order.
 */
export function staticFiles<F extends string>(
  files: Record<F, FileSpec>,
): { files: () => Record<F, FileSpec>; fileNames: readonly F[]; n: { readonly [K in F]: number } } {
  const fileNames = Object.freeze(Object.keys(files)) as readonly F[];
  const n = Object.freeze(Object.fromEntries(fileNames.map((name, i) => [name, i]))) as { readonly [K in F]: number };
  return { files: () => files, fileNames, n };
}
