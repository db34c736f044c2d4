/**
 * A cgroup's OOM kill counter, read one way: through the stats `events` reader of its cgroup version (v2
 * `memory.events`, v1 `memory.oom_control`, key `oom_kill`, parsed natively), exactly as stats().memoryEvents.oomKill
 * and the collector's `oom_kill` column read it. For the collector's OOM push watchers and the handles.
 */
import type { BatchResult, Engine } from '../engine';
import { CgroupError } from '../errors';
import { compileStats, type CompiledStats } from './reader';
import { newRaw } from './raw';
import { RowRead } from './row';
import { CONTROLLERS } from './types';

const plans = new WeakMap<Engine, { c: CompiledStats; result: BatchResult | undefined }>();

function compiled(engine: Engine): { c: CompiledStats; result: BatchResult | undefined } {
  let p = plans.get(engine);
  if (p === undefined) {
    const l = engine.layout;
    const c = compileStats(engine, {
      version: l.version,
      layout: l,
      mask: CONTROLLERS.memoryEvents,
      hugePageSizes: [],
    });
    p = { c, result: c.plan === undefined ? undefined : engine.result(c.plan, 1, { bigint: true }) };
    plans.set(engine, p);
  }
  return p;
}

/**
 * The counter from a read row. Lenient: undefined when it cannot be had. Strict (Cgroup.oomKillCount): 0 when the key
 * is absent, else the error a direct read of the file gives — ENOENT when it is missing, ELOOP, not a regular file, a
 * parse error — or the row's when the cgroup went away.
 */
function counter(
  engine: Engine,
  c: CompiledStats,
  result: BatchResult,
  id: number,
  strict: boolean,
): number | undefined {
  const reader = c.wanted.find((r) => r.name === 'events');
  if (reader === undefined || c.plan === undefined) {
    if (strict)
      throw new CgroupError('the memory hierarchy is not mounted: cannot read oom_kill', {
        code: 'ERR_CGROUP_NOT_MOUNTED',
      });
    return undefined;
  }
  const row = new RowRead(engine, c.plan, result, 0, id, c.entries, c.specs);
  if (row.gone) {
    if (strict) throw result.rowError(0)!;
    return undefined;
  }
  const raw = newRaw(engine.layout.version);
  const files = row.scope(reader.name, reader.fileNames);
  const errors = reader.read(files, raw, { ...c.ctx, path: '', procRoot: '/proc' });
  if (strict) {
    if (errors.length > 0) throw errors[0]!;
    if (raw.absent.has('memoryEvents.oomKill')) {
      const local = [...c.entries.keys()].find((k) => k.startsWith(`${reader.name}:`))?.slice(reader.name.length + 1);
      const missing = local === undefined ? undefined : files.requiredError(local);
      if (missing !== undefined) throw missing;
    }
    return Number(raw.events?.oomKill ?? 0n);
  }
  if (raw.absent.has('memoryEvents.oomKill') || raw.events?.oomKill === undefined) return undefined;
  return Number(raw.events.oomKill);
}

/** The oom_kill counter of an open engine handle's cgroup, or undefined (not in the memory hierarchy, no key, gone). */
export function oomKillCountSync(engine: Engine, id: number): number | undefined {
  const { c, result } = compiled(engine);
  if (c.plan === undefined || result === undefined) return undefined;
  engine.readSync(c.plan, [id], result);
  return counter(engine, c, result, id, false);
}

/**
 * Cgroup.oomKillCountSync's read: the counter, 0 when the file has no `oom_kill` key; throws the file's error (see
 * counter). `oomKillCount` is the same through the engine's async read.
 */
export function oomKillCountOrThrowSync(engine: Engine, id: number): number {
  const { c, result } = compiled(engine);
  if (c.plan !== undefined && result !== undefined) engine.readSync(c.plan, [id], result);
  return counter(engine, c, result!, id, true)!;
}

export async function oomKillCountOrThrow(engine: Engine, id: number): Promise<number> {
  const { c } = compiled(engine);
  // Its own result: concurrent async reads must not share one.
  const result = c.plan === undefined ? undefined : engine.result(c.plan, 1, { bigint: true });
  if (c.plan !== undefined && result !== undefined) await engine.read(c.plan, [id], result);
  return counter(engine, c, result!, id, true)!;
}
