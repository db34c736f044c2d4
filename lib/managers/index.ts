/**
 * The package functions of CRI-O's cgmgr: setCgroupManager, newSystemdManager, newDefault, libctrManager and the
 * constants. `moveProcessToContainerCgroup` is in ./move.
 */
import { CgroupContext, newCgroup, type Cgroup, type CgroupOptions } from '../cgroup';
import { CgroupError, invalidArg } from '../errors';
import { CgroupfsManager } from './cgroupfs';
import { SystemdManager, type SystemdManagerOptions } from './systemd';
import { base, join } from '../paths';
import type { CgroupManager } from './types';

export const CRIO_PREFIX = 'crio';
export const DEFAULT_CGROUP_MANAGER = 'systemd';
export const CGROUP_MEMORY_PATH_V1 = '/sys/fs/cgroup/memory';
export const CGROUP_MEMORY_PATH_V2 = '/sys/fs/cgroup';

/** "systemd" → SystemdManager, "cgroupfs" → CgroupfsManager (exact, case-sensitive); else `invalid cgroup manager: <name>`. */
export function setCgroupManager(name: string, options: SystemdManagerOptions = {}): CgroupManager {
  switch (name) {
    case 'systemd':
      return new SystemdManager(options);
    case 'cgroupfs':
      return new CgroupfsManager(options);
    default:
      throw new CgroupError(`invalid cgroup manager: ${name}`, { code: 'ERR_CGROUP_INVALID_MANAGER' });
  }
}

export function newSystemdManager(options: SystemdManagerOptions = {}): SystemdManager {
  return new SystemdManager(options);
}

/** CRI-O's New(): the systemd manager. */
export function newDefault(options: SystemdManagerOptions = {}): CgroupManager {
  return setCgroupManager(DEFAULT_CGROUP_MANAGER, options);
}

/**
 * CRI-O's LibctrManager (spec §2.10): a handle for cgroup `cgroup` under `parent`. systemd: parent = Base(parent),
 * "." → "-.slice"; fails with `systemd not running on this host, cannot use systemd cgroups manager` when systemd
 * does not run. The root cgroup, and a cgroup argument that names no cgroup of its own ('', '/', '.', 'a/..'), are
 * refused (ERR_CGROUP_ROOT_REFUSED). Touches nothing on disk beyond mount discovery.
 */
export function libctrManager(cgroup: string, parent: string, systemd: boolean, options: CgroupOptions = {}): Cgroup {
  if (typeof cgroup !== 'string' || cgroup.includes('\0')) throw invalidArg('cgroup', cgroup, 'must be a string without NUL');
  if (typeof parent !== 'string' || parent.includes('\0')) throw invalidArg('parent', parent, 'must be a string without NUL');
  const ctx = new CgroupContext(options);
  let p = parent;
  if (systemd) {
    p = base(p);
    if (p === '.') p = '-.slice';
  } else if (join('/', cgroup) === '/') {
    // '', '/', '.', 'a/..': no cgroup of its own; the handle would be its parent (or the caller's parent cgroup).
    throw new CgroupError(`refusing cgroup '${cgroup}': it names no cgroup below its parent`, { code: 'ERR_CGROUP_ROOT_REFUSED' });
  }
  const cg = newCgroup({ name: cgroup, parent: p, systemd: systemd === true, scopePrefix: CRIO_PREFIX }, ctx);
  cg.refuseRoot('manage');
  return cg;
}

export { CgroupfsManager } from './cgroupfs';
export { SystemdManager } from './systemd';
export type { SystemdManagerOptions, SystemdConmonError } from './systemd';
export { moveProcessToContainerCgroup, moveProcessToContainerCgroupSync, parseCgroupFile } from './move';
export type { CgroupManager, CgroupManagerOptions, ManagerStatsOptions, SandboxCgroupPath } from './types';
export { LruCache } from './cache';
