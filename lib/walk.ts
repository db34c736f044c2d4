/** Listing the cgroups of a layout: the union of the directories of every hierarchy, as relative paths. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Layout } from './hierarchy';
import { cgroupRelPath } from './validate';

export interface ListOptions {
  /** Start below this cgroup ('' = the root). */
  under?: string;
  /** How many levels below `under` to list (0 = only `under`). Default 2. */
  depth?: number;
}

/** Relative paths ('' for the root) of the cgroups found in any hierarchy of the layout, sorted. */
export function listCgroups(layout: Layout, options: ListOptions = {}): string[] {
  const under = cgroupRelPath(options.under ?? '', 'under');
  const depth = options.depth ?? 2;
  const found = new Set<string>();
  const walk = (dir: string, rel: string, level: number): void => {
    found.add(rel);
    if (level >= depth) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed while we walked, or not readable: nothing below to list
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(dir, e.name), rel === '' ? e.name : `${rel}/${e.name}`, level + 1);
    }
  };
  for (const h of layout.hierarchies) {
    const dir = under === '' ? h.path : path.join(h.path, under);
    if (fs.existsSync(dir)) walk(dir, under, 0);
  }
  return [...found].sort();
}
