/**
 * cgroup v2 pids (fs2/pids.go statPids): `pids.current` and `pids.max` ("max" -> 0). Without the pids controller
 * (`pids.current` not there) Current is the number of '\n' characters of `cgroup.procs` (`cgroup.threads` for a
 * threaded cgroup) and Limit 0 (spec Q-19). Errors are always collected, a missing cgroup.procs included: this is
 * what makes a vanished cgroup fail on v2.
 */
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, staticFiles } from '../controller';
import { FIELDS, markAbsent } from '../raw';
import { MAXU64 } from '../row';

/** Made once, not per read. */
const LIMIT_FIELDS = ['limit', 'threadsMax'];
const CURRENT_FIELDS = ['current', 'threads'];

const FILES = staticFiles({
  current: { controller: 'pids', name: 'pids.current', format: 'single' },
  max: { controller: 'pids', name: 'pids.max', format: 'single' },
  procs: { controller: 'pids', name: 'cgroup.procs', format: 'newlines' },
});
const N = FILES.n;

export const pids = defineReader({
  name: 'pids',
  wants: (ctx) => (ctx.mask & CONTROLLERS.pids) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    if (f.ok(N.current)) {
      if (!f.ok(N.max)) {
        markAbsent(raw, 'pid', FIELDS.pid);
        return [f.requiredError(N.max)!];
      }
      const max = f.value(N.max)!;
      raw.pids.current = f.value(N.current)!;
      raw.pids.limit = max === MAXU64 ? 0 : max;
      return NO_ERRORS;
    }
    if (!f.missing(N.current)) {
      markAbsent(raw, 'pid', FIELDS.pid);
      return [f.requiredError(N.current)!];
    }
    // No pids controller: count the lines of cgroup.procs (cgroup.threads when the cgroup is threaded).
    markAbsent(raw, 'pid', LIMIT_FIELDS);
    if (f.notSupported(N.procs)) {
      const text = f.readText('pids', 'cgroup.threads');
      if (text === undefined) {
        markAbsent(raw, 'pid', CURRENT_FIELDS);
        return [f.requiredError(N.procs)!];
      }
      raw.pids.current = text.split('\n').length - 1;
      raw.pids.limit = 0;
      return NO_ERRORS;
    }
    if (!f.ok(N.procs)) {
      markAbsent(raw, 'pid', CURRENT_FIELDS);
      return f.gone ? [] : [f.requiredError(N.procs)!];
    }
    raw.pids.current = f.value(N.procs)!;
    raw.pids.limit = 0;
    return NO_ERRORS;
  },
  skip: (raw) => markAbsent(raw, 'pid', FIELDS.pid),
});
