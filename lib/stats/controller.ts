/**
 * The contract of a per-controller reader (lib/stats/v1/*, lib/stats/v2/*): which files it needs for the asked-for
 * controllers, and how it turns its part of a batch row into the library's raw stats.
 */
import type { CgroupError } from '../errors';
import type { Layout } from '../hierarchy';
import type { RawStats } from './raw';
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
   * Fills raw from the row, marking the output fields it could not source as absent. Returns the errors the library
   * would return, in its order (a v1 reader returns at most one: the library stops at the first).
   */
  read(f: Files, raw: RawStats, ctx: ReadContext): CgroupError[];
  /** Marks the output fields of this reader absent when it is not asked for. */
  skip(raw: RawStats): void;
}

/** The reader's first error, or nothing: for v1 readers, which stop where the library returns. */
export function first(err: CgroupError | undefined): CgroupError[] {
  return err === undefined ? [] : [err];
}
