/**
 * createSandboxCgroup / removeSandboxCgroup of spec §2.8, shared by both managers: a plain cgroupfs-driver directory.
 * On v1 the cpuset directory is made first and `cpuset.sched_load_balance` set to 0 before anything else, so the
 * cgroup never exists with load balancing on; then every controller directory is created (cpuset copied from the
 * parent) and no process is attached. Removal takes child cgroups first, retries EBUSY with back-off, and treats a
 * missing directory as success. Every step goes through the context's engine (lib/steps.ts); the root cgroup (a
 * parent and name that resolve to it) is refused before anything is touched.
 */
import { newCgroup, type Cgroup, type CgroupContext } from '../cgroup';
import { CgroupError } from '../errors';
import * as steps from '../steps';
import { runAsync, runSync, type Steps } from '../steps';

function* prepareV1Cpuset(cg: Cgroup, ctx: CgroupContext): Steps<void> {
  const h = ctx.layout.controllers.get('cpuset');
  if (cg.path('cpuset') === undefined || h === undefined) {
    throw new CgroupError('failed to find cpuset for newly created cgroup', {
      code: 'ERR_CGROUP_NOT_MOUNTED',
      controller: 'cpuset',
    });
  }
  try {
    yield* steps.mkdirAll(h, cg.relPath);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') {
      throw new CgroupError(`failed to create cpuset for newly created cgroup: ${(e as Error).message}`, {
        code: 'ERR_CGROUP_CREATE',
        cause: e,
      });
    }
  }
  try {
    yield* steps.write(h, cg.relPath, 'cpuset.sched_load_balance', '0');
  } catch (e) {
    throw new CgroupError(`failed to set sched_load_balance cpuset for newly created cgroup: ${(e as Error).message}`, {
      code: 'ERR_CGROUP_WRITE',
      cause: e,
    });
  }
}

function* createSteps(cg: Cgroup, ctx: CgroupContext): Steps<Cgroup> {
  cg.refuseRoot('create');
  if (ctx.version === 1) yield* prepareV1Cpuset(cg, ctx);
  yield* cg.createSteps(); // apply(-1): create, attach nothing
  return cg;
}

/** Creates `<parent>/<name>` (parent and name validated by the caller). */
export function createSandboxCgroupSync(parent: string, name: string, ctx: CgroupContext): Cgroup {
  return runSync(ctx.engine, createSteps(newCgroup({ name, parent }, ctx), ctx));
}

export async function createSandboxCgroup(parent: string, name: string, ctx: CgroupContext): Promise<Cgroup> {
  return runAsync(ctx.engine, createSteps(newCgroup({ name, parent }, ctx), ctx));
}

export function removeSandboxCgroupSync(parent: string, name: string, ctx: CgroupContext): void {
  newCgroup({ name, parent }, ctx).destroySync();
}

export async function removeSandboxCgroup(parent: string, name: string, ctx: CgroupContext): Promise<void> {
  await newCgroup({ name, parent }, ctx).destroy();
}
