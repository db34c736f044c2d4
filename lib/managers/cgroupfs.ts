/**
 * CgroupfsManager (spec §2.3, §2.6): cgroup paths are plain directories `<parent>/crio-<id>`, conmon goes to
 * `<parent>/crio-conmon-<id>`. With the project's fixes: B-1 (sandbox stats read the pod's parent cgroup), B-2 (conmon
 * is always placed, CPU resources applied when given), B-3 (create, then set, then move the pid), Q-6 (bounded caches).
 */
import { newCgroup, type Cgroup, type CgroupResources } from '../cgroup';
import { CgroupError } from '../errors';
import { base, dir, join } from '../paths';
import { pid as checkPid } from '../validate';
import { ManagerBase } from './base';
import { crunContainerCgroupManager, execCgroupManagerFor, execPreconditions } from './common';
import { verifyCgroupHasEnoughMemory } from './memory-check';
import type { Steps } from '../steps';
import * as sandbox from './sandbox';
import { checkId, checkParent, type CgroupManager, type SandboxCgroupPath } from './types';

export const CGROUPFS = 'cgroupfs';
/** The cgroupfs default parent. */
export const DEFAULT_CGROUPFS_PARENT = '/crio';

/** An error of moveConmonToCgroup: `cgroupPathToClean` is the path CRI-O would still have to clean. */
export interface ConmonError extends CgroupError {
  cgroupPathToClean: string;
}

function withPath(e: unknown, p: string): never {
  const err =
    e instanceof CgroupError
      ? e
      : new CgroupError(String((e as Error)?.message ?? e), { code: 'ERR_CGROUP_IO', cause: e });
  (err as ConmonError).cgroupPathToClean = p;
  throw err;
}

/**
 * The error of a conmon placement step, carrying `cgroupPathToClean`: creating the cgroup and moving the pid fail as
 * CRI-O words it (`failed to add conmon to cgroupfs sandbox cgroup: …`), writing the CPU resources with its own error.
 */
function conmonFailure(path: string): (e: unknown, asAdd: boolean) => never {
  return (e, asAdd) =>
    withPath(
      asAdd
        ? new CgroupError(`failed to add conmon to cgroupfs sandbox cgroup: ${(e as Error).message}`, {
            code: (e as CgroupError).code ?? 'ERR_CGROUP_IO',
            cause: e,
          })
        : e,
      path,
    );
}

function checkConmonPid(v: unknown): number {
  return v === -1 ? -1 : checkPid(v, 'pid');
}

export class CgroupfsManager extends ManagerBase implements CgroupManager {
  name(): string {
    return CGROUPFS;
  }

  isSystemd(): boolean {
    return false;
  }

  /** `Join("/", sbParent || "/crio", "crio-" + id)`. */
  containerCgroupPath(sbParent: string, containerId: string): string {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    return join('/', sbParent === '' ? DEFAULT_CGROUPFS_PARENT : sbParent, `crio-${containerId}`);
  }

  containerCgroupAbsolutePath(sbParent: string, containerId: string): string {
    return this.containerCgroupPath(sbParent, containerId);
  }

  containerCgroupManager(sbParent: string, containerId: string): Cgroup {
    const hit = this.containerByArg(sbParent, containerId);
    if (hit) return hit;
    const p = this.containerCgroupAbsolutePath(sbParent, containerId);
    return this.cachedContainer(
      containerId,
      p,
      () => newCgroup({ name: base(p), parent: dir(p) }, this.context),
      sbParent,
    );
  }

  /** @internal */
  protected *sandboxCgroupPathSteps(
    sbParent: string,
    sbId: string,
    containerMinMemory: number | bigint,
  ): Steps<SandboxCgroupPath> {
    checkParent(sbParent, 'sbParent');
    checkId(sbId, 'sbId');
    if (base(sbParent).endsWith('.slice')) {
      throw new CgroupError(
        `cri-o configured with cgroupfs cgroup manager, but received systemd slice as parent: ${sbParent}`,
        {
          code: 'ERR_CGROUP_WRONG_DRIVER',
        },
      );
    }
    yield* verifyCgroupHasEnoughMemory(sbParent, this.context, this.memoryMaxFile, containerMinMemory);
    return { cgParent: sbParent, cgPath: join(sbParent, `crio-${sbId}`) };
  }

  /**
   * Fix B-1: the pod's parent cgroup (`Join("/", sbParent)`), as the systemd manager reads the pod slice. CRI-O ran
   * ExpandSlice on the parent here and always failed. An empty parent has no pod cgroup: an error.
   */
  sandboxCgroupManager(sbParent: string, sbId: string): Cgroup {
    const hit = this.sandboxByArg(sbParent, sbId);
    if (hit) return hit;
    checkParent(sbParent, 'sbParent');
    checkId(sbId, 'sbId');
    if (sbParent === '' || join('/', sbParent) === '/') {
      throw new CgroupError(`sandbox ${sbId} has no cgroup parent to read stats from`, {
        code: 'ERR_CGROUP_NO_PARENT',
      });
    }
    const p = join('/', sbParent);
    return this.cachedSandbox(sbId, p, () => newCgroup({ name: base(p), parent: dir(p) }, this.context), sbParent);
  }

  private conmonPrepare(
    cid: string,
    cgroupParent: string,
    conmonCgroup: string,
    pid: number,
    resources: CgroupResources | null | undefined,
  ) {
    if (conmonCgroup !== 'pod' && conmonCgroup !== '') {
      const err = new CgroupError(`conmon cgroup ${conmonCgroup} invalid for cgroupfs`, {
        code: 'ERR_CGROUP_CONMON_CGROUP',
      });
      withPath(err, '');
    }
    checkId(cid, 'cid');
    checkParent(cgroupParent, 'cgroupParent');
    const p = checkConmonPid(pid);
    if (resources !== undefined && resources !== null && typeof resources !== 'object') {
      throw new CgroupError(`The argument 'resources' must be an object. Received ${String(resources)}`, {
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
    const path = `${cgroupParent}/crio-conmon-${cid}`; // returned as CRI-O builds it: not cleaned
    const cg = newCgroup({ name: `crio-conmon-${cid}`, parent: join('/', cgroupParent) }, this.context);
    const cpu = resources?.cpu;
    return { path, cg, pid: p, cpu };
  }

  /**
   * Places conmon in `<cgroupParent>/crio-conmon-<cid>` and returns that path (for CRI-O to remove with the
   * container). Fixes B-2/B-3: the cgroup is always created, then the CPU resources written (when given), then the
   * pid moved (-1: none). conmonCgroup must be "pod" or "" (`conmon cgroup <v> invalid for cgroupfs`). Errors carry
   * `cgroupPathToClean`.
   */
  moveConmonToCgroupSync(
    cid: string,
    cgroupParent: string,
    conmonCgroup: string,
    pid: number,
    resources?: CgroupResources | null,
  ): string {
    const { path, cg, pid: p, cpu } = this.conmonPrepare(cid, cgroupParent, conmonCgroup, pid, resources);
    const failed = conmonFailure(path);
    try {
      cg.applySync(-1);
    } catch (e) {
      failed(e, true);
    }
    try {
      if (cpu) cg.setSync({ cpu });
    } catch (e) {
      failed(e, false);
    }
    try {
      if (p !== -1) cg.addPidsSync([p]);
    } catch (e) {
      failed(e, true);
    }
    return path;
  }

  async moveConmonToCgroup(
    cid: string,
    cgroupParent: string,
    conmonCgroup: string,
    pid: number,
    resources?: CgroupResources | null,
  ): Promise<string> {
    const { path, cg, pid: p, cpu } = this.conmonPrepare(cid, cgroupParent, conmonCgroup, pid, resources);
    const failed = conmonFailure(path);
    try {
      await cg.apply(-1);
    } catch (e) {
      failed(e, true);
    }
    try {
      if (cpu) await cg.set({ cpu });
    } catch (e) {
      failed(e, false);
    }
    try {
      if (p !== -1) await cg.addPids([p]);
    } catch (e) {
      failed(e, true);
    }
    return path;
  }

  private sandboxArgs(sbParent: string, containerId: string): [string, string] {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    return [join('/', sbParent), `crio-${containerId}`];
  }

  /** Creates `/<sbParent>/crio-<id>` (spec §2.8; v1: cpuset.sched_load_balance=0 first). */
  createSandboxCgroupSync(sbParent: string, containerId: string): void {
    const [parent, name] = this.sandboxArgs(sbParent, containerId);
    sandbox.createSandboxCgroupSync(parent, name, this.context);
  }

  async createSandboxCgroup(sbParent: string, containerId: string): Promise<void> {
    const [parent, name] = this.sandboxArgs(sbParent, containerId);
    await sandbox.createSandboxCgroup(parent, name, this.context);
  }

  removeSandboxCgroupSync(sbParent: string, containerId: string): void {
    const [parent, name] = this.sandboxArgs(sbParent, containerId);
    sandbox.removeSandboxCgroupSync(parent, name, this.context);
  }

  async removeSandboxCgroup(sbParent: string, containerId: string): Promise<void> {
    const [parent, name] = this.sandboxArgs(sbParent, containerId);
    await sandbox.removeSandboxCgroup(parent, name, this.context);
  }

  podAndContainerCgroupManagers(sbParent: string, containerId: string): { pod: Cgroup; containers: Cgroup[] } {
    const c = this.containerCgroupAbsolutePath(sbParent, containerId);
    const pod = dir(c);
    const podCg = newCgroup({ name: base(pod), parent: dir(pod) }, this.context);
    const containers = [newCgroup({ name: base(c), parent: dir(c) }, this.context)];
    const crun = crunContainerCgroupManager(c, this.context);
    if (crun) containers.push(crun);
    return { pod: podCg, containers };
  }

  execCgroupManager(cgroupPath: string): Cgroup {
    if (typeof cgroupPath !== 'string') checkParent(cgroupPath, 'cgroupPath');
    execPreconditions(cgroupPath, this.context);
    checkParent(cgroupPath, 'cgroupPath');
    return execCgroupManagerFor(join('/', cgroupPath), this.context);
  }
}
