/**
 * SystemdManager (spec §2.4) without D-Bus (issue 5): the paths, the sandbox checks, the handles (systemd-driver
 * rules: `<expanded slice>/crio-<id>.scope`), the stats, and the dropped-infra cgroup as a plain directory inside the
 * expanded pod slice. `moveConmonToCgroup` rejects with ERR_CGROUP_NOT_IMPLEMENTED until the D-Bus client exists.
 */
import { newCgroup, type Cgroup, type CgroupResources } from '../cgroup';
import { CgroupError } from '../errors';
import { base, dir, expandSlice, join } from '../paths';
import { pid as checkPid } from '../validate';
import { ManagerBase } from './base';
import { crunContainerCgroupManager, execCgroupManagerFor, execPreconditions } from './common';
import { verifyCgroupHasEnoughMemory } from './memory-check';
import * as sandbox from './sandbox';
import {
  checkId, checkParent, type CgroupManager, type SandboxCgroupPath,
} from './types';

export const SYSTEMD = 'systemd';
/** The systemd default parent. */
export const DEFAULT_SYSTEMD_PARENT = 'system.slice';

function wrap(prefix: string, e: unknown): CgroupError {
  const inner = e as CgroupError;
  return new CgroupError(`${prefix}: ${inner.message}`, { code: inner.code ?? 'ERR_CGROUP_INVALID_SLICE', cause: e });
}

/** LibctrManager's systemd parent rule (spec §2.10): Base(parent), "." → "-.slice" ("/" stays "/"). */
function systemdParent(parent: string): string {
  const b = base(parent);
  return b === '.' ? '-.slice' : b;
}

export class SystemdManager extends ManagerBase implements CgroupManager {
  name(): string {
    return SYSTEMD;
  }

  isSystemd(): boolean {
    return true;
  }

  /** `<sbParent || system.slice>:crio:<id>`. */
  containerCgroupPath(sbParent: string, containerId: string): string {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    return `${sbParent === '' ? DEFAULT_SYSTEMD_PARENT : sbParent}:crio:${containerId}`;
  }

  /** `Join(ExpandSlice(sbParent || system.slice), "crio-<id>.scope")`. */
  containerCgroupAbsolutePath(sbParent: string, containerId: string): string {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    let e: string;
    try {
      e = expandSlice(sbParent === '' ? DEFAULT_SYSTEMD_PARENT : sbParent);
    } catch (err) {
      throw wrap(`expanding systemd slice to get container ${containerId} stats`, err);
    }
    return join(e, `crio-${containerId}.scope`);
  }

  containerCgroupManager(sbParent: string, containerId: string): Cgroup {
    const p = this.containerCgroupAbsolutePath(sbParent, containerId);
    return this.cachedContainer(containerId, p, () => newCgroup({ name: containerId, parent: systemdParent(dir(p)), systemd: true }, this.context));
  }

  sandboxCgroupPathSync(sbParent: string, sbId: string, containerMinMemory: number | bigint): SandboxCgroupPath {
    checkParent(sbParent, 'sbParent');
    checkId(sbId, 'sbId');
    if (sbParent === '') return { cgParent: '', cgPath: '' };
    if (!base(sbParent).endsWith('.slice')) {
      throw new CgroupError(`cri-o configured with systemd cgroup manager, but did not receive slice as parent: ${sbParent}`, {
        code: 'ERR_CGROUP_WRONG_DRIVER',
      });
    }
    const cgParent = base(sbParent);
    verifyCgroupHasEnoughMemory(sbParent, this.memoryPath, this.memoryMaxFile, containerMinMemory, this.context.logger);
    return { cgParent, cgPath: `${cgParent}:crio:${sbId}` };
  }

  /** The pod slice itself (spec §2.4; Q-9: a top-level slice fails with `invalid slice name: /`). */
  sandboxCgroupManager(sbParent: string, sbId: string): Cgroup {
    checkParent(sbParent, 'sbParent');
    checkId(sbId, 'sbId');
    const name = base(sbParent);
    let s: string;
    try {
      s = expandSlice(name);
    } catch (err) {
      throw wrap(`expanding systemd slice path for ${JSON.stringify(name)}`, err);
    }
    // The library expands the parent again: a top-level pod slice gives "/" → `invalid slice name: /`.
    const parent = systemdParent(dir(s));
    return this.cachedSandbox(sbId, s, () => newCgroup({ name: base(s), parent, systemd: true }, this.context));
  }

  /** Not built yet (issue 5): validates its arguments, then rejects with ERR_CGROUP_NOT_IMPLEMENTED. */
  async moveConmonToCgroup(cid: string, cgroupParent: string, conmonCgroup: string, pid: number, _resources?: CgroupResources | null): Promise<string> {
    checkId(cid, 'cid');
    checkParent(cgroupParent, 'cgroupParent');
    checkParent(conmonCgroup, 'conmonCgroup');
    if (pid !== -1) checkPid(pid, 'pid');
    throw new CgroupError('systemd D-Bus support is not built yet', { code: 'ERR_CGROUP_NOT_IMPLEMENTED' });
  }

  // "" → nothing (logged); else the expanded slice (ExpandSlice errors unwrapped, Q-21).
  private sandboxArgs(sbParent: string, containerId: string): [string, string] | undefined {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    if (sbParent === '') {
      this.context.logger.info?.('Not creating sandbox cgroup: sbParent is empty');
      return undefined;
    }
    return [expandSlice(sbParent), `crio-${containerId}`];
  }

  createSandboxCgroupSync(sbParent: string, containerId: string): void {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) sandbox.createSandboxCgroupSync(a[0], a[1], this.context);
  }

  async createSandboxCgroup(sbParent: string, containerId: string): Promise<void> {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) await sandbox.createSandboxCgroup(a[0], a[1], this.context);
  }

  removeSandboxCgroupSync(sbParent: string, containerId: string): void {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) sandbox.removeSandboxCgroupSync(a[0], a[1], this.context);
  }

  async removeSandboxCgroup(sbParent: string, containerId: string): Promise<void> {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) await sandbox.removeSandboxCgroup(a[0], a[1], this.context);
  }

  podAndContainerCgroupManagers(sbParent: string, containerId: string): { pod: Cgroup; containers: Cgroup[] } {
    const c = this.containerCgroupAbsolutePath(sbParent, containerId);
    const pod = dir(c);
    const podParent = systemdParent(dir(pod));
    const podCg = newCgroup({ name: base(pod), parent: podParent, systemd: true }, this.context);
    const containers = [newCgroup({ name: containerId, parent: systemdParent(dir(c)), systemd: true }, this.context)];
    const crun = crunContainerCgroupManager(c, this.context);
    if (crun) containers.push(crun);
    return { pod: podCg, containers };
  }

  /** `<slice>:<prefix>:<id>` → the handle of `<expanded slice>/<prefix>-<id>.scope[/container]/exec` (v2 only). */
  execCgroupManager(cgroupPath: string): Cgroup {
    if (typeof cgroupPath !== 'string') checkParent(cgroupPath, 'cgroupPath');
    execPreconditions(cgroupPath, this.context);
    const parts = cgroupPath.split(':');
    if (parts.length !== 3) {
      throw new CgroupError(`invalid systemd cgroup path format: ${cgroupPath} (expected slice:prefix:containerID)`, { code: 'ERR_INVALID_ARG_VALUE' });
    }
    checkId(parts[1], 'cgroupPath prefix');
    checkId(parts[2], 'cgroupPath containerID');
    let e: string;
    try {
      e = expandSlice(parts[0]!);
    } catch (err) {
      throw wrap(`failed to expand systemd slice ${JSON.stringify(parts[0])}`, err);
    }
    return execCgroupManagerFor(join(e, `${parts[1]}-${parts[2]}.scope`), this.context);
  }
}
