/**
 * cgroup v1 pids (fs/pids.go GetStats): nothing when the cgroup has no pids directory; otherwise `pids.current` and
 * `pids.max` are both required; "max" -> 0 (unlimited, as in CRI-O).
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS, staticFiles } from '../controller';
import { FIELDS, markAbsent } from '../raw';
import { MAXU64 } from '../row';

const FILES = staticFiles({
  current: { controller: 'pids', name: 'pids.current', format: 'single' },
  max: { controller: 'pids', name: 'pids.max', format: 'single' },
});
const N = FILES.n;
const REQUIRED = [N.current, N.max] as const;

export const pids = defineReader({
  name: 'pids',
  wants: (ctx) => (ctx.mask & CONTROLLERS.pids) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    if (f.noDir(N.current)) {
      markAbsent(raw, 'pid', FIELDS.pid);
      return NO_ERRORS;
    }
    for (let i = 0; i < REQUIRED.length; i++) {
      const name = REQUIRED[i]!;
      if (!f.ok(name)) {
        markAbsent(raw, 'pid', FIELDS.pid);
        return first(f.requiredError(name));
      }
    }
    const max = f.value(N.max)!;
    raw.pids.current = f.value(N.current)!;
    raw.pids.limit = max === MAXU64 ? 0 : max;
    return NO_ERRORS;
  },
  skip: (raw) => markAbsent(raw, 'pid', FIELDS.pid),
});
