/**
 * GetPids(): the integers of the cgroup's own `cgroup.procs` (not recursive; blank lines skipped; `cgroup.threads`
 * when reading cgroup.procs fails with EOPNOTSUPP, a threaded cgroup). v1 reads it in the `devices` hierarchy, as
 * the library's fs manager does; when the cgroup has no `devices` directory (a systemd slice of units without device
 * rules, DECISIONS B-6) it is read from the first other hierarchy that holds the cgroup. CRI-O calls it after
 * GetStats; its error fails the stats call.
 */
import { CONTROLLERS } from './types';
import { NO_ERRORS, staticFiles, type ControllerReader } from './controller';
import { FIELDS, markAbsent } from './raw';
import type { Files } from './row';

/** B-6: where v1 reads the process list when the `devices` hierarchy does not hold the cgroup (then any other). */
export const V1_PROCS_FALLBACK = ['pids', 'memory', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'freezer'] as const;

/** Pids the plan has room for; more are read again with room for all. */
export const PROCS_CAP = 128;

export function procsReader(version: 1 | 2): ControllerReader {
  const controller = version === 1 ? 'devices' : 'pids';
  const FILES = staticFiles({ procs: { controller, name: 'cgroup.procs', format: 'list', cap: PROCS_CAP } });
  const PROCS = FILES.n.procs;
  return {
    name: 'procs',
    wants: (ctx) => (ctx.mask & CONTROLLERS.process) !== 0,
    files: FILES.files,
    fileNames: FILES.fileNames,
    read(f, raw) {
      let src: Files = f;
      if (version === 1 && f.noDir(PROCS) && !f.gone) src = f.elsewhere(PROCS, V1_PROCS_FALLBACK) ?? f;
      if (src.notSupported(PROCS)) {
        const text = f.readText(controller, 'cgroup.threads');
        if (text !== undefined) {
          const list = text
            .split('\n')
            .filter((l) => l !== '')
            .map(Number);
          raw.procs = list.length > 0 ? list : null;
          return NO_ERRORS;
        }
      }
      if (src.overflow(PROCS)) src = src.reread(PROCS, src.count(PROCS)) ?? src;
      if (!src.ok(PROCS)) {
        markAbsent(raw, 'pid', FIELDS.process);
        const err = src.requiredError(PROCS) ?? f.requiredError(PROCS);
        return err ? [err] : [];
      }
      const n = src.count(PROCS);
      if (n === 0) {
        raw.procs = null;
        return NO_ERRORS;
      }
      const list = new Array<number>(n);
      for (let i = 0; i < n; i++) list[i] = src.int(PROCS, 1 + i) ?? NaN;
      raw.procs = list;
      return NO_ERRORS;
    },
    skip: (raw) => markAbsent(raw, 'pid', FIELDS.process),
  };
}
