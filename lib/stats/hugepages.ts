/**
 * Huge page sizes (opencontainers/cgroups HugePageSizes): the `hugepages-<N>kB` entries of
 * <sysRoot>/kernel/mm/hugepages in directory order, named as the kernel's hugetlb controller names its files:
 * N ≥ 2^20 -> N/2^20 "GB", N ≥ 2^10 -> N/2^10 "MB", else N "KB". Other entries are skipped; a missing directory gives
 * no sizes. Read once per sysRoot and process, as the library does.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const cache = new Map<string, readonly string[]>();

/** The size names of a list of directory entries (e.g. "hugepages-2048kB" -> "2MB"). */
export function hugePageSizeNames(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (!e.startsWith('hugepages-')) continue;
    const val = e.slice('hugepages-'.length);
    if (!val.endsWith('kB')) continue;
    const digits = val.slice(0, -2);
    if (!/^[+-]?[0-9]+$/.test(digits)) continue;
    const size = Number(digits);
    if (!Number.isSafeInteger(size)) continue;
    if (size >= 1 << 20) out.push(`${Math.floor(size / (1 << 20))}GB`);
    else if (size >= 1 << 10) out.push(`${Math.floor(size / (1 << 10))}MB`);
    else out.push(`${digits}KB`);
  }
  return out;
}

/** The huge page sizes of this machine (or of a tree standing in for /sys). */
export function hugePageSizes(options: { sysRoot?: string } = {}): readonly string[] {
  const sysRoot = resolve(options.sysRoot ?? '/sys');
  let sizes = cache.get(sysRoot);
  if (sizes === undefined) {
    let entries: string[];
    try {
      // readdirSync, not opendirSync: fs.Dir loads another internal module (~0.4 ms of a hook's first statsSync).
      entries = readdirSync(join(sysRoot, 'kernel', 'mm', 'hugepages'));
    } catch {
      entries = [];
    }
    sizes = Object.freeze(hugePageSizeNames(entries));
    cache.set(sysRoot, sizes);
  }
  return sizes;
}
