/**
 * cgroup v1 cpuset (fs/cpuset.go GetStats). CRI-O drops every cpuset value, but the library fails the whole v1 read
 * when `cpuset.cpus` or `cpuset.mems` is there and does not parse — an empty one included (a cpuset cgroup whose cpus
 * were never set: `unable to parse <dir>/cpuset.cpus: empty file`). These two files are read for that alone; missing
 * files are fine. (The single-value cpuset files, which the kernel always writes as numbers, are not read.)
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS, staticFiles } from '../controller';

const FILES = staticFiles({
  cpus: { controller: 'cpuset', name: 'cpuset.cpus', format: 'cpuset' },
  mems: { controller: 'cpuset', name: 'cpuset.mems', format: 'cpuset' },
});
const BOTH = [FILES.n.cpus, FILES.n.mems] as const;

export const cpuset = defineReader({
  name: 'cpuset',
  wants: (ctx) => (ctx.mask & CONTROLLERS.cpuset) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f) {
    for (let i = 0; i < BOTH.length; i++) {
      const name = BOTH[i]!;
      if (!f.ok(name) && !f.missing(name)) return first(f.error(name));
    }
    return NO_ERRORS;
  },
  skip: () => undefined,
});
