/**
 * cgroup v2 memory (fs2/memory.go statMemory). In the library's order:
 *  - `memory.stat` (strict key/value; not there -> the whole memory block stays zero, no error); Cache = `file`;
 *  - the usage block from `memory.current`, `memory.max` ("max" -> 2^64-1) and `memory.peak` (0 when absent, < 5.19):
 *    a missing current or max leaves the block (and swap) zero without error — except for the root cgroup, whose
 *    missing `memory.current` is emulated from /proc/meminfo;
 *  - swap: `memory.swap.current` absent -> no swap accounting, swap-only block zero; else `memory.swap.max`;
 *    SwapUsage (v1-compatible memory+swap) = swap + memory, Limit = swap.max + memory.max unless swap.max is max
 *    (u64 wrap-around, as the library; DECISIONS Q-13 is applied by the converter).
 * KernelUsage, KernelTCPUsage and Failcnt are never set on v2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from '../../errors';
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, staticFiles } from '../controller';
import { addWrap, FIELDS, fillMemoryData, markAbsent, subWrap, toBig, type RawStats, type U64 } from '../raw';
import { MAXU64 } from '../row';

/** The memory.stat keys CRI-O's converter uses on v2 (and the root emulation: anon + file). */
export const V2_MEMORY_STAT_KEYS = ['file', 'anon', 'inactive_file', 'pgfault', 'pgmajfault', 'file_mapped'] as const;

const KEY_FIELD: Record<string, string> = {
  file: 'cache',
  anon: 'rssBytes',
  pgfault: 'pageFaults',
  pgmajfault: 'majorPageFaults',
  file_mapped: 'fileMapped',
};

const USAGE_FIELDS = ['usage', 'limit', 'maxUsage', 'workingSetBytes', 'availableBytes'];
const SWAP_FIELDS = ['swapUsage', 'swapLimit', 'swapAvailableBytes'];
const USAGE_AND_SWAP = [...USAGE_FIELDS, ...SWAP_FIELDS];
const NOT_ON_V2 = ['kernelUsage', 'kernelTCPUsage', 'failcnt'];

const FILES = staticFiles({
  stat: { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: [...V2_MEMORY_STAT_KEYS] },
  current: { controller: 'memory', name: 'memory.current', format: 'single' },
  max: { controller: 'memory', name: 'memory.max', format: 'single' },
  peak: { controller: 'memory', name: 'memory.peak', format: 'single' },
  swapCurrent: { controller: 'memory', name: 'memory.swap.current', format: 'single' },
  swapMax: { controller: 'memory', name: 'memory.swap.max', format: 'single' },
});
/** The files' numbers (asked by number: resolved to the plan once per view). */
const N = FILES.n;

export const memory = defineReader({
  name: 'memory',
  wants: (ctx) => (ctx.mask & CONTROLLERS.memory) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw, ctx) {
    const m = raw.memory;
    markAbsent(raw, 'memory', NOT_ON_V2); // never set on v2
    if (f.missing(N.stat)) {
      markAbsent(raw, 'memory', FIELDS.memory);
      return NO_ERRORS;
    }
    if (!f.ok(N.stat)) {
      markAbsent(raw, 'memory', FIELDS.memory);
      return [f.error(N.stat)!];
    }
    for (let i = 0; i < V2_MEMORY_STAT_KEYS.length; i++) {
      const key = V2_MEMORY_STAT_KEYS[i]!;
      const v = f.value(N.stat, i);
      m.stats[key] = v;
      if (v === undefined && KEY_FIELD[key] !== undefined) raw.absent.add(`memory.${KEY_FIELD[key]}`);
    }
    m.cache = m.stats.file ?? 0;
    m.useHierarchy = true;

    // The usage block: current and max required, peak optional.
    if (!f.ok(N.current)) {
      if (f.missing(N.current) && ctx.path === '') return rootFromMeminfo(raw, ctx.procRoot);
      markAbsent(raw, 'memory', USAGE_AND_SWAP);
      return f.missing(N.current) ? [] : [f.error(N.current)!];
    }
    if (!f.ok(N.max)) {
      markAbsent(raw, 'memory', USAGE_AND_SWAP);
      return f.missing(N.max) ? [] : [f.error(N.max)!];
    }
    if (!f.ok(N.peak) && !f.missing(N.peak)) {
      markAbsent(raw, 'memory', USAGE_AND_SWAP);
      return [f.error(N.peak)!];
    }
    if (f.missing(N.peak)) raw.absent.add('memory.maxUsage');
    fillMemoryData(m.usage, f.value(N.current)!, f.value(N.peak) ?? 0, 0, f.value(N.max)!);

    // Swap: no memory.swap.current means no swap accounting (the swap-only block stays zero).
    let swapOnlyUsage: U64 = 0;
    let swapOnlyLimit: U64 = 0;
    if (f.ok(N.swapCurrent)) {
      if (!f.ok(N.swapMax)) {
        markAbsent(raw, 'memory', SWAP_FIELDS);
        return f.missing(N.swapMax) ? NO_ERRORS : [f.error(N.swapMax)!];
      }
      swapOnlyUsage = f.value(N.swapCurrent)!;
      swapOnlyLimit = f.value(N.swapMax)!;
    } else if (f.missing(N.swapCurrent)) {
      markAbsent(raw, 'memory', SWAP_FIELDS);
    } else {
      markAbsent(raw, 'memory', SWAP_FIELDS);
      return [f.error(N.swapCurrent)!];
    }
    fillMemoryData(m.swapOnlyUsage, swapOnlyUsage, 0, 0, swapOnlyLimit);
    fillMemoryData(
      m.swapUsage,
      addWrap(swapOnlyUsage, m.usage.usage),
      0,
      0, // the swap-only block's failcnt: never set on v2
      swapOnlyLimit !== MAXU64 ? addWrap(swapOnlyLimit, m.usage.limit) : swapOnlyLimit,
    );
    return NO_ERRORS;
  },
  skip: (raw) => markAbsent(raw, 'memory', FIELDS.memory),
});

/**
 * The root cgroup has no memory.current/max/peak: the library emulates them from /proc/meminfo and memory.stat
 * (usage = anon + file, limits unlimited, swap = (SwapTotal - SwapFree) * 1024 + usage).
 */
function rootFromMeminfo(raw: RawStats, procRoot: string): readonly CgroupError[] {
  const file = path.join(procRoot, 'meminfo');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    markAbsent(raw, 'memory', USAGE_AND_SWAP);
    const err = e as NodeJS.ErrnoException;
    return [new CgroupError(`open ${file}: ${err.message}`, { code: err.code ?? 'EIO', path: file })];
  }
  const wanted = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length !== 2) continue;
    const k = parts[0]!;
    if (k !== 'SwapFree' && k !== 'SwapTotal') continue;
    const v = parts[1]!.replace(/ kB$/, '').trim();
    if (!/^[0-9]+$/.test(v) || BigInt(v) > MAXU64) {
      markAbsent(raw, 'memory', USAGE_AND_SWAP);
      return [new CgroupError(`unable to parse ${file}: bad value for ${k}`, { code: 'ERR_CGROUP_PARSE', path: file })];
    }
    wanted.set(k, BigInt(v));
    if (wanted.size === 2) break;
  }
  const m = raw.memory;
  const usage = addWrap(m.stats.anon ?? 0, m.stats.file ?? 0);
  const swapUsed = subWrap(wanted.get('SwapTotal') ?? 0n, wanted.get('SwapFree') ?? 0n);
  fillMemoryData(m.usage, usage, 0, 0, MAXU64);
  fillMemoryData(m.swapUsage, addWrap(BigInt.asUintN(64, toBig(swapUsed) * 1024n), usage), 0, 0, MAXU64);
  raw.absent.add('memory.maxUsage');
  return NO_ERRORS;
}
