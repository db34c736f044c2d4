/**
 * CRI-O's LibctrManager (spec §2.10) on its own: `cgmgr move` and hooks that place a process need it without the
 * managers (and the systemd D-Bus client they load).
 */
import { CgroupContext, newCgroup, type Cgroup, type CgroupOptions } from '../cgroup';
import { CgroupError, invalidArg } from '../errors';
import { base, join } from '../paths';

export const CRIO_PREFIX = 'crio';

/**
 * CRI-O's LibctrManager (spec §2.10): a handle for cgroup `cgroup` under `parent`. systemd: parent = Base(parent),
 * "." → "-.slice"; fails with `systemd not running on this host, cannot use systemd cgroups manager` when systemd
 * does not run. The root cgroup, and a cgroup argument that names no cgroup of its own ('', '/', '.', 'a/..'), are
 * refused (ERR_CGROUP_ROOT_REFUSED). Touches nothing on disk beyond mount discovery.
 */
export function libctrManager(cgroup: string, parent: string, systemd: boolean, options: CgroupOptions = {}): Cgroup {
  if (typeof cgroup !== 'string' || cgroup.includes('\0'))
    throw invalidArg('cgroup', cgroup, 'must be a string without NUL');
  if (typeof parent !== 'string' || parent.includes('\0'))
    throw invalidArg('parent', parent, 'must be a string without NUL');
  const ctx = new CgroupContext(options);
  let p = parent;
  if (systemd) {
    p = base(p);
    if (p === '.') p = '-.slice';
  } else if (join('/', cgroup) === '/') {
    // '', '/', '.', 'a/..': no cgroup of its own; the handle would be its parent (or the caller's parent cgroup).
    throw new CgroupError(`refusing cgroup '${cgroup}': it names no cgroup below its parent`, {
      code: 'ERR_CGROUP_ROOT_REFUSED',
    });
  }
  const cg = newCgroup({ name: cgroup, parent: p, systemd: systemd === true, scopePrefix: CRIO_PREFIX }, ctx);
  cg.refuseRoot('manage');
  return cg;
}
