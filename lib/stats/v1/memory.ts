/**
 * cgroup v1 memory (fs/memory.go GetStats), in the library's order; the first error ends the read:
 *  - `memory.stat` (strict key/value): not there -> the whole memory block stays zero and there is no error;
 *    Cache = `cache`;
 *  - usage block `memory.{usage_in_bytes, max_usage_in_bytes, failcnt, limit_in_bytes}` (all required);
 *  - `memory.memsw.*` (SwapUsage = memory+swap; zero when usage_in_bytes is not there), `memory.kmem.*` and
 *    `memory.kmem.tcp.*` (zero when usage_in_bytes is not there);
 *  - `memory.use_hierarchy` (required).
 * Only the files whose values CRI-O reports are read (docs/compatibility.md, "files not read").
 * The extra `memoryEvents` reader takes `oom_kill` from `memory.oom_control` (CRI-O's OOMKillCount on v1).
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS, staticFiles } from '../controller';
import { dottedName, FIELDS, fillMemoryData, markAbsent, subWrap, type RawStats } from '../raw';
import type { FileRef, Files } from '../row';

export const V1_MEMORY_STAT_KEYS = [
  'cache',
  'total_rss',
  'total_inactive_file',
  'mapped_file',
  'total_mapped_file',
] as const;

const single = (name: string) => ({ controller: 'memory', name, format: 'single' as const });

/** Made once, not per read. */
const NOT_ON_V1_EVENTS = ['low', 'high', 'max', 'oom', 'oomGroupKill'] as const;
const NOT_ON_V1 = ['pageFaults', 'majorPageFaults', 'psi'] as const;
const FILES = staticFiles({
  stat: { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: [...V1_MEMORY_STAT_KEYS] },
  usage: single('memory.usage_in_bytes'),
  maxUsage: single('memory.max_usage_in_bytes'),
  failcnt: single('memory.failcnt'),
  limit: single('memory.limit_in_bytes'),
  memswUsage: single('memory.memsw.usage_in_bytes'),
  memswLimit: single('memory.memsw.limit_in_bytes'),
  kmemUsage: single('memory.kmem.usage_in_bytes'),
  kmemTcpUsage: single('memory.kmem.tcp.usage_in_bytes'),
  useHierarchy: single('memory.use_hierarchy'),
});
/** The files' numbers (asked by number: resolved to the plan once per view). */
const N = FILES.n;
const USAGE_FILES = [N.usage, N.maxUsage, N.failcnt, N.limit] as const;
const SWAP_FIELDS = ['swapUsage', 'swapLimit', 'swapAvailableBytes'] as const;
const KERNEL_FILES = [
  [N.kmemUsage, 'kernelUsage'],
  [N.kmemTcpUsage, 'kernelTCPUsage'],
] as const;

/** The whole memory block absent, and the file's error (the library stops at it). */
function fail(f: Files, raw: RawStats, name: FileRef) {
  markAbsent(raw, 'memory', FIELDS.memory);
  return first(f.requiredError(name));
}

export const memory = defineReader({
  name: 'memory',
  wants: (ctx) => (ctx.mask & CONTROLLERS.memory) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    const m = raw.memory;
    markAbsent(raw, 'memory', NOT_ON_V1); // not on v1
    if (f.missing(N.stat)) {
      markAbsent(raw, 'memory', FIELDS.memory);
      return NO_ERRORS;
    }
    if (!f.ok(N.stat)) return fail(f, raw, N.stat);
    // The slots of V1_MEMORY_STAT_KEYS, in its order.
    const st = m.stats;
    st.cache = f.value(N.stat, 0);
    st.total_rss = f.value(N.stat, 1);
    st.total_inactive_file = f.value(N.stat, 2);
    st.mapped_file = f.value(N.stat, 3);
    st.total_mapped_file = f.value(N.stat, 4);
    if (st.cache === undefined) raw.absent.add('memory.cache');
    if (st.total_rss === undefined) raw.absent.add('memory.rssBytes');
    m.cache = st.cache ?? 0;

    for (let i = 0; i < USAGE_FILES.length; i++) if (!f.ok(USAGE_FILES[i]!)) return fail(f, raw, USAGE_FILES[i]!);
    fillMemoryData(m.usage, f.value(N.usage)!, f.value(N.maxUsage)!, f.value(N.failcnt)!, f.value(N.limit)!);

    if (f.ok(N.memswUsage)) {
      if (!f.ok(N.memswLimit)) return fail(f, raw, N.memswLimit);
      fillMemoryData(m.swapUsage, f.value(N.memswUsage)!, 0, 0, f.value(N.memswLimit)!);
    } else if (f.missing(N.memswUsage)) {
      markAbsent(raw, 'memory', SWAP_FIELDS);
    } else {
      return fail(f, raw, N.memswUsage);
    }
    // Not used by CRI-O; the library computes it with u64 wrap-around.
    fillMemoryData(m.swapOnlyUsage, subWrap(m.swapUsage.usage, m.usage.usage), 0, 0, 0);

    for (let i = 0; i < KERNEL_FILES.length; i++) {
      const [name, field] = KERNEL_FILES[i]!;
      if (f.ok(name)) fillMemoryData(m[field], f.value(name)!, 0, 0, 0);
      else if (f.missing(name)) raw.absent.add(dottedName('memory', field));
      else return fail(f, raw, name);
    }

    if (!f.ok(N.useHierarchy)) return fail(f, raw, N.useHierarchy);
    m.useHierarchy = f.value(N.useHierarchy) === 1;
    if ((m.useHierarchy ? m.stats.total_mapped_file : m.stats.mapped_file) === undefined)
      raw.absent.add('memory.fileMapped');
    return NO_ERRORS;
  },
  skip: (raw) => markAbsent(raw, 'memory', FIELDS.memory),
});

const EVENT_FILES = staticFiles({
  oom: { controller: 'memory', name: 'memory.oom_control', format: 'keyLookup', keys: ['oom_kill'] },
});
const OOM = EVENT_FILES.n.oom;

/** Extra: `memory.oom_control` oom_kill (v1 has no other memory event counters). */
export const events = defineReader({
  name: 'events',
  wants: (ctx) => (ctx.mask & CONTROLLERS.memoryEvents) !== 0,
  files: EVENT_FILES.files,
  fileNames: EVENT_FILES.fileNames,
  read(f, raw) {
    raw.events = {};
    markAbsent(raw, 'memoryEvents', NOT_ON_V1_EVENTS);
    if (!f.ok(OOM)) {
      raw.absent.add('memoryEvents.oomKill');
      return f.missing(OOM) ? [] : first(f.error(OOM));
    }
    const v = f.value(OOM);
    if (v === undefined) raw.absent.add('memoryEvents.oomKill');
    raw.events.oomKill = v ?? 0;
    return NO_ERRORS;
  },
  skip: () => undefined,
});
