/** Helpers both managers use: crun's `container` sub-cgroup and the exec cgroup (spec §2.9). */
import * as fs from 'node:fs';
import { newCgroup, type Cgroup, type CgroupContext } from '../cgroup';
import { CgroupError } from '../errors';
import { base, dir, join } from '../paths';

/** A cgroupfs-driver handle for crun's `<expected>/container` when that directory exists (v1: in cpuset), else undefined. */
export function crunContainerCgroupManager(expected: string, ctx: CgroupContext): Cgroup | undefined {
  const actual = join(expected, 'container');
  const root = ctx.version === 2 ? ctx.root : join(ctx.root, 'cpuset');
  const rel = actual.startsWith(root) ? actual.slice(root.length) : actual;
  const probe = join(root, rel);
  if (!fs.existsSync(probe)) return undefined;
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
    throw new CgroupError('exec cgroup with CgroupFD is only supported on cgroup v2', { code: 'ERR_CGROUP_UNSUPPORTED' });
  }
}
