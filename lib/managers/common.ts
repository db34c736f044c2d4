/** Helpers both managers use: crun's `container` sub-cgroup and the exec cgroup (spec §2.9). */
import { newCgroup, unifiedHierarchy, type Cgroup, type CgroupContext } from '../cgroup';
import { CgroupError } from '../errors';
import { base, dir, join } from '../paths';

/**
 * A cgroupfs-driver handle for crun's `<expected>/container` when that directory exists (v1: in cpuset), else
 * undefined. The probe goes through the context's engine: a symlink or a file in its place counts as absent.
 */
export function crunContainerCgroupManager(expected: string, ctx: CgroupContext): Cgroup | undefined {
  const actual = join(expected, 'container');
  const root = ctx.version === 2 ? ctx.root : join(ctx.root, 'cpuset');
  const rel = join('/', actual.startsWith(root) ? actual.slice(root.length) : actual).slice(1);
  const h = ctx.version === 2 ? unifiedHierarchy(ctx.layout) : ctx.layout.controllers.get('cpuset');
  if (h === undefined) return undefined;
  try {
    if (ctx.engine.childrenSync(h, rel) === undefined) return undefined;
  } catch {
    return undefined; // cannot be stat'ed (spec §2.9): not there
  }
  return newCgroup({ name: base(actual), parent: dir(actual) }, ctx);
}

/** The handle of `<containerDir>/exec`, or `<containerDir>/container/exec` when crun's sub-cgroup exists. */
export function execCgroupManagerFor(containerDir: string, ctx: CgroupContext): Cgroup {
  const parent = crunContainerCgroupManager(containerDir, ctx) ? join(containerDir, 'container') : containerDir;
  return newCgroup({ name: 'exec', parent }, ctx);
}

export function execPreconditions(cgroupPath: string, ctx: CgroupContext): void {
  if (cgroupPath === '') throw new CgroupError('container cgroup path is empty', { code: 'ERR_INVALID_ARG_VALUE' });
  if (ctx.version === 1) {
    throw new CgroupError('exec cgroup with CgroupFD is only supported on cgroup v2', {
      code: 'ERR_CGROUP_UNSUPPORTED',
    });
  }
}
