/**
 * A cgroup's OOM kill counter, read one way: through the stats `events` reader of its cgroup version (v2
 * `memory.events`, v1 `memory.oom_control`, key `oom_kill`, parsed natively), exactly as stats().memoryEvents.oomKill
 * and the collector's `oom_kill` column read it. For the collector's OOM push watchers and the handles.
 */
import type { BatchResult, Engine } from '../engine';
import { compileStats, type CompiledStats } from './reader';
import { newRaw } from './raw';
import { RowRead } from './row';
import { CONTROLLERS } from './types';

const plans = new WeakMap<Engine, { c: CompiledStats; result: BatchResult | undefined }>();

/** The oom_kill counter of an open engine handle's cgroup, or undefined (not in the memory hierarchy, no key, gone). */
export function oomKillCountSync(engine: Engine, id: number): number | undefined {
  let p = plans.get(engine);
  if (p === undefined) {
    const l = engine.layout;
    const c = compileStats(engine, { version: l.version, layout: l, mask: CONTROLLERS.memoryEvents, hugePageSizes: [] });
    p = { c, result: c.plan === undefined ? undefined : engine.result(c.plan, 1, { bigint: true }) };
    plans.set(engine, p);
  }
  const { c, result } = p;
  if (c.plan === undefined || result === undefined) return undefined;
  const reader = c.wanted.find((r) => r.name === 'events');
  if (reader === undefined) return undefined;
  engine.readSync(c.plan, [id], result);
  const row = new RowRead(engine, c.plan, result, 0, id, c.entries, c.specs);
  if (row.gone) return undefined;
  const raw = newRaw(engine.layout.version);
  reader.read(row.scope(reader.name), raw, { ...c.ctx, path: '', procRoot: '/proc' });
  if (raw.absent.has('memoryEvents.oomKill') || raw.events?.oomKill === undefined) return undefined;
  return Number(raw.events.oomKill);
}
