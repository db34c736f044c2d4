/**
 * createSandboxCgroup / removeSandboxCgroup of spec §2.8, shared by both managers: a plain cgroupfs-driver directory.
 * On v1 the cpuset directory is made first and `cpuset.sched_load_balance` set to 0 before anything else, so the
 * cgroup never exists with load balancing on; then every controller directory is created (cpuset copied from the
 * parent) and no process is attached. Removal takes child cgroups first, retries EBUSY with back-off, and treats a
 * missing directory as success.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { newCgroup, type Cgroup, type CgroupContext } from '../cgroup';
import { CgroupError } from '../errors';

function prepareV1Cpuset(cg: Cgroup, ctx: CgroupContext): void {
  const cpusetPath = cg.path('cpuset');
  const h = ctx.layout.controllers.get('cpuset');
  if (cpusetPath === undefined || h === undefined) {
    throw new CgroupError('failed to find cpuset for newly created cgroup', { code: 'ERR_CGROUP_NOT_MOUNTED', controller: 'cpuset' });
  }
  try {
    cg.mkdirBeneath(h.path, cpusetPath);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') {
      throw new CgroupError(`failed to create cpuset for newly created cgroup: ${(e as Error).message}`, { code: 'ERR_CGROUP_CREATE', cause: e });
    }
  }
  try {
    fs.writeFileSync(nodePath.join(cpusetPath, 'cpuset.sched_load_balance'), '0');
  } catch (e) {
    throw new CgroupError(`failed to set sched_load_balance cpuset for newly created cgroup: ${(e as Error).message}`, {
      code: 'ERR_CGROUP_WRITE', cause: e,
    });
  }
}

/** Creates `<parent>/<name>` (parent and name validated by the caller). */
export function createSandboxCgroupSync(parent: string, name: string, ctx: CgroupContext): Cgroup {
  const cg = newCgroup({ name, parent }, ctx);
  if (ctx.version === 1) prepareV1Cpuset(cg, ctx);
  cg.applySync(-1);
  return cg;
}

export async function createSandboxCgroup(parent: string, name: string, ctx: CgroupContext): Promise<Cgroup> {
  const cg = newCgroup({ name, parent }, ctx);
  if (ctx.version === 1) prepareV1Cpuset(cg, ctx);
  await cg.apply(-1);
  return cg;
}

export function removeSandboxCgroupSync(parent: string, name: string, ctx: CgroupContext): void {
  newCgroup({ name, parent }, ctx).destroySync();
}

export async function removeSandboxCgroup(parent: string, name: string, ctx: CgroupContext): Promise<void> {
  await newCgroup({ name, parent }, ctx).destroy();
}
